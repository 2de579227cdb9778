import { COLUMN_BINDINGS_WGSL, commonWgsl, type KernelShape } from './common.js';

/**
 * Second pass of the column correlation: the centred sums Sxy, Sxx, Syy of each column, from the
 * means column_sums left (two-pass centring), accumulated over chunks like column_sums. The last
 * chunk turns them into the column's correlation and gradient coefficients.
 */
export const columnProductsWgsl = (shape: KernelShape): string => /* wgsl */ `
${commonWgsl(shape)}
${COLUMN_BINDINGS_WGSL}
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let C = params.classes;
  let column = columnOf(wid, lid);
  var partial = vec4f(0.0);
  if (column < C) {
    let means = columns[column];
    for (var i = lid / COLUMN_TILE; i < params.rows; i = i + COLUMN_STRANDS) {
      let c = columnCentred(vec2f(wStudent[i * C + column], wTeacher[i * C + column]), rows[i].offset, means);
      partial = partial + vec4f(c.x * c.y, c.x * c.x, c.y * c.y, 0.0);
    }
  }
  let total = strandSum(lid, partial);
  if (lid < COLUMN_TILE && column < C) {
    var record = columns[column];
    record.sxy = record.sxy + total.x;
    record.sxx = record.sxx + total.y;
    record.syy = record.syy + total.z;
    if (params.isLastChunk == 1u) {
      let c = correlate(record.sxy, record.sxx, record.syy);
      record.r = c.r;
      record.invD = c.invD;
      record.k = c.k;
      record.degenerate = c.degenerate;
    }
    columns[column] = record;
  }
}
`;

import { COLUMN_BINDINGS_WGSL, commonWgsl, type KernelShape } from './common.js';

/**
 * First pass of the column (intra-class) correlation: each workgroup owns COLUMN_TILE adjacent
 * columns (adjacent invocations read adjacent addresses) and COLUMN_STRANDS strands of rows, and adds
 * the chunk's column sums of w and of the rows' offsets to the running totals. Chunks run one after another, so the
 * totals are deterministic. The last chunk turns them into column means.
 */
export const columnSumsWgsl = (shape: KernelShape): string => /* wgsl */ `
${commonWgsl(shape)}
${COLUMN_BINDINGS_WGSL}
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let C = params.classes;
  let column = columnOf(wid, lid);
  var partial = vec4f(0.0);
  if (column < C) {
    for (var i = lid / COLUMN_TILE; i < params.rows; i = i + COLUMN_STRANDS) {
      partial = partial + vec4f(wStudent[i * C + column], wTeacher[i * C + column], rows[i].offset);
    }
  }
  let total = strandSum(lid, partial);
  if (lid < COLUMN_TILE && column < C) {
    var record = columns[column];
    record.meanW = record.meanW + total.xy;
    record.meanOffset = record.meanOffset + total.zw;
    if (params.isLastChunk == 1u) {
      record.meanW = record.meanW * params.invBatch;
      record.meanOffset = record.meanOffset * params.invBatch;
    }
    columns[column] = record;
  }
}
`;

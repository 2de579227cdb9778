import { commonWgsl, type KernelShape } from './common.js';

/**
 * One workgroup: adds the chunk's sum of (1 - r_i) over rows (and, for the last chunk, the sum of
 * (1 - r_j) over columns) to the scalars, with the degenerate and non-finite counts the host checks.
 * scalars = [sum_i (1 - r_i), sum_j (1 - r_j), degenerate count, non-finite count].
 */
export const lossReduceWgsl = (shape: KernelShape): string => /* wgsl */ `
${commonWgsl(shape)}
@group(0) @binding(1) var<storage, read> rows: array<RowRecord>;
@group(0) @binding(2) var<storage, read> columns: array<ColumnRecord>;
@group(0) @binding(3) var<storage, read_write> scalars: array<f32, 4>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var partial = vec4f(0.0);
  for (var i = lid; i < params.rows; i = i + WG) {
    let record = rows[i];
    partial = partial + vec4f(1.0 - record.r, 0.0, record.degenerate, record.nonFinite);
  }
  if (params.isLastChunk == 1u) {
    for (var j = lid; j < params.classes; j = j + WG) {
      let record = columns[j];
      partial = partial + vec4f(0.0, 1.0 - record.r, record.degenerate, 0.0);
    }
  }
  let total = workgroupSum(lid, partial);
  if (lid == 0u) {
    scalars[0] = scalars[0] + total.x;
    scalars[1] = scalars[1] + total.y;
    scalars[2] = scalars[2] + total.z;
    scalars[3] = scalars[3] + total.w;
  }
}
`;

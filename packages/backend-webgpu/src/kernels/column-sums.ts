import { commonWgsl, type KernelShape } from './common.js';

/**
 * First pass of the column (intra-class) correlation: each workgroup owns COLUMN_TILE adjacent
 * columns (adjacent invocations read adjacent addresses) and COLUMN_STRANDS strands of rows, and adds
 * the chunk's column sums of delta to the running totals. Chunks run one after another, so the
 * totals are deterministic. The last chunk turns them into column means.
 */
export const columnSumsWgsl = (shape: KernelShape): string => /* wgsl */ `
${commonWgsl(shape)}
@group(0) @binding(1) var<storage, read> deltaStudent: array<f32>;
@group(0) @binding(2) var<storage, read> deltaTeacher: array<f32>;
@group(0) @binding(3) var<storage, read_write> columns: array<ColumnRecord>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let C = params.classes;
  let column = linearGroup(wid, params.columnGridX) * COLUMN_TILE + lid % COLUMN_TILE;
  var partial = vec4f(0.0);
  if (column < C) {
    for (var i = lid / COLUMN_TILE; i < params.rows; i = i + COLUMN_STRANDS) {
      partial = partial + vec4f(deltaStudent[i * C + column], deltaTeacher[i * C + column], 0.0, 0.0);
    }
  }
  let total = strandSum(lid, partial);
  if (lid < COLUMN_TILE && column < C) {
    var record = columns[column];
    record.meanStudent = record.meanStudent + total.x;
    record.meanTeacher = record.meanTeacher + total.y;
    if (params.isLastChunk == 1u) {
      record.meanStudent = record.meanStudent * params.invBatch;
      record.meanTeacher = record.meanTeacher * params.invBatch;
    }
    columns[column] = record;
  }
}
`;

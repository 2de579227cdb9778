import { COLUMN_RECORD_BYTES, commonWgsl, forEachInRow, type KernelShape, type RowLoad, type RowStore } from './common.js';

const STUDENT: RowLoad = { name: 'ws', scalars: 'wStudent', vectors: 'wStudentVectors' };
const BOTH: readonly RowLoad[] = [STUDENT, { name: 'wt', scalars: 'wTeacher', vectors: 'wTeacherVectors' }];
// The softmax's G, parked in the output between the two passes: read as vec4s where the output is
// bound as vec4s (aligned rows), else value by value.
const parked = (alignedRows: boolean): RowLoad => ({ name: 'parked', scalars: 'gradient', ...(alignedRows ? { vectors: 'gradient' } : {}) });
const OUTPUT: readonly RowStore[] = [{ name: 'out', target: 'gradient' }];

/**
 * One workgroup per row of a chunk: dloss/dp from the row and column coefficients,
 *   G_ij = -rowWeight * (dq_ij * invD_i - k_i * dp_ij) - columnWeight * (cq_ij * invD_j - k_j * cp_ij)
 * (dp, dq row-centred; cp, cq column-centred, from the stored w and the rows' offsets), then the softmax backward
 *   grad_ij = p_ij * (G_ij - sum_k p_ik G_ik) / tau, with p = w + offset (see RowRecord),
 * or the sigmoid backward grad_ij = p_ij * (1 - p_ij) * G_ij / tau.
 *
 * With \`alignedRows\` (C a multiple of 4, see forEachInRow) w is bound as vec4s only and the
 * gradient is bound, read and written as vec4s; otherwise w is bound both ways and the gradient is
 * written value by value.
 */
export const gradientWgsl = (shape: KernelShape, alignedRows: boolean): string => /* wgsl */ `
${commonWgsl(shape)}
${
  alignedRows
    ? /* wgsl */ `@group(0) @binding(1) var<storage, read> wStudentVectors: array<vec4f>;
@group(0) @binding(2) var<storage, read> wTeacherVectors: array<vec4f>;`
    : /* wgsl */ `@group(0) @binding(1) var<storage, read> wStudent: array<f32>;
@group(0) @binding(2) var<storage, read> wTeacher: array<f32>;`
}
@group(0) @binding(3) var<storage, read> rows: array<RowRecord>;
// The column records (ColumnRecord) as vec4s: on CPU emulations each load is a bounds-checked
// access, and this kernel reads a column's record once per element, so it takes the six fields it
// needs in two vector loads (the record's first eight floats) rather than six field loads.
@group(0) @binding(4) var<storage, read> columnVectors: array<vec4f>;
const COLUMN_RECORD_VECTORS: u32 = ${COLUMN_RECORD_BYTES / 16}u;
${
  alignedRows
    ? /* wgsl */ `@group(0) @binding(5) var<storage, read_write> gradient: array<vec4f>;`
    : /* wgsl */ `@group(0) @binding(5) var<storage, read_write> gradient: array<f32>;
// w again, as vec4s (forEachInRow).
@group(0) @binding(6) var<storage, read> wStudentVectors: array<vec4f>;
@group(0) @binding(7) var<storage, read> wTeacherVectors: array<vec4f>;`
}

fn dLossDp(row: RowRecord, w: vec2f, column: u32) -> f32 {
  let rowCentred = w - row.centre;
  let mean = columnVectors[COLUMN_RECORD_VECTORS * column];               // meanW, meanOffset
  let coefficients = columnVectors[COLUMN_RECORD_VECTORS * column + 1u];  // invD, k, r, degenerate
  let columnCentred = (w - mean.xy) + (row.offset - mean.zw);
  let rowTerm = rowCentred.y * row.invD - row.k * rowCentred.x;
  let columnTerm = columnCentred.y * coefficients.x - coefficients.y * columnCentred.x;
  return -params.rowWeight * rowTerm - params.columnWeight * columnTerm;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let slot = rowSlot(wid, lid);
  var row: RowRecord;
  if (slot.inRange) {
    row = rows[slot.row];
  }

  let sigmoidRows = params.activation == SIGMOID;
  // The per-element division by tau as a multiplication (a division costs several on CPU emulations).
  let invTau = 1.0 / params.tau;

  // Pass 1: G = dloss/dp, and for sigmoid its backward at once; for softmax G parked in the output
  // and the row's sum of p * G.
  // (One loop per activation, as in row-activation: CPU emulations skip a loop no invocation enters.)
  var dot = RunningScalar(0.0, 0.0);
  ${forEachInRow('!sigmoidRows && slot.inRange', BOTH, /* wgsl */ `
    let out = dLossDp(row, vec2f(ws, wt), j);
    dot = accumulateScalar(dot, (ws + row.offset.x) * out);`, alignedRows, OUTPUT)}
  // p (1 - p) = (offset + w) ((1 - offset) - w): (1/2 + w)(1/2 - w) for values kept as p - 1/2,
  // p (-w) for those kept as p - 1, p (1 - p) for those kept as p: 1 - p never cancels.
  ${forEachInRow('sigmoidRows && slot.inRange', BOTH, /* wgsl */ `
    let out = (row.offset.x + ws) * ((1.0 - row.offset.x) - ws) * dLossDp(row, vec2f(ws, wt), j) * invTau;`, alignedRows, OUTPUT)}
  let pG = rowSum(lid, vec4f(dot.sum - dot.carry, 0.0, 0.0, 0.0)).x;

  // Pass 2: the softmax backward. Each invocation rereads only what it wrote itself.
  ${forEachInRow('!sigmoidRows && slot.inRange', [STUDENT, parked(alignedRows)], /* wgsl */ `
    let out = (ws + row.offset.x) * (parked - pG) * invTau;`, alignedRows, OUTPUT)}
}
`;

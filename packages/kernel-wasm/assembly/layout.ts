/**
 * Where everything lives for a call of `batch` x `classes`, in memory the host provides.
 *
 * The module imports its memory: the host gives it a memory of its own (shared with worker threads,
 * each running an instance of this module), or the memory of tfjs-backend-wasm, whose tensors the
 * kernel then reads and writes in place. So the module keeps no static data (that would land on the
 * host's) and never grows memory (the host owns it); the host asks the sizes, allocates, and passes
 * addresses.
 *
 * Two regions: the batch region (the softmax of every row, the rows' and the finished columns'
 * correlation terms), which every thread of a call shares, and a thread region (its column sums,
 * one row of scratch and the constants its loops read), one per thread. Module globals are per
 * instance, so each thread lays out both regions in its own instance, at the same batch addresses.
 *
 * Rows are `stride` floats apart, `classes` rounded up to a multiple of 4, so that every row is a
 * whole number of f32x4 vectors; the lanes past `classes` in a row's last vector are padding, masked
 * (`tailMask`) wherever they could reach a sum. Logits in place in a tfjs tensor need stride = classes,
 * so the host copies them into padded rows when classes is not a multiple of 4.
 */

export let batch: i32 = 0;
export let classes: i32 = 0;
export let stride: i32 = 0;
/** Vectors per row: stride / 4. */
export let vectors: i32 = 0;
/** All-ones in the lanes of a row's last vector that hold a class, zero in its padding. */
export let tailMask: v128 = i32x4.splat(-1);
/** The activation of the call: the softmax (0) or the sigmoid (1), set by each phase's entry point. */
export const SOFTMAX: i32 = 0;
export const SIGMOID: i32 = 1;
/**
 * The offset c of the second form in which the kernel keeps each activation, p - c: 1/C for the
 * softmax (precise for the small deviations of near-uniform rows) and 1 for the sigmoid (p - 1 =
 * -sigmoid(-z), precise for probabilities near 1). Columns whose values are below c / 2 use p.
 */
export let formOffset: f64 = 0;

/** Sets the call's activation, `SOFTMAX` or `SIGMOID`: call after `layOut`, in every phase. */
export function setActivation(activation: i32): void {
  formOffset = activation == SIGMOID ? 1 : 1 / <f64>classes;
}

// Batch region. [batch, stride] f32: the activations p and q, and p - c and q - c, c = `formOffset`.
export let student: usize = 0;
export let teacher: usize = 0;
export let studentCentred: usize = 0;
export let teacherCentred: usize = 0;

// [batch] f64: each row's correlation terms, dcorr/dx = u * yc - v * xc, (sigmoid only) the row's
// means of p and q, which the backward centres with, and the row's 1 - corr when one thread
// activates a row for another's part (index.ts `activateRows`).
export let rowU: usize = 0;
export let rowV: usize = 0;
export let rowMeanStudent: usize = 0;
export let rowMeanTeacher: usize = 0;
export let rowTerm: usize = 0;

// [stride] per column, once the statistics of every row are in: the correlation terms (f64), the
// mean in its precise form (f32) and which form that is (all-ones: p, zero: p - 1/C).
export let columnU: usize = 0;
export let columnV: usize = 0;
export let meanStudent: usize = 0;
export let meanTeacher: usize = 0;
export let formStudent: usize = 0;
export let formTeacher: usize = 0;

// Thread region. [stride] f32 per column: the shifts (the first row's values in both forms), and
// the backward's scaled column coefficients.
export let shiftStudent: usize = 0;
export let shiftStudentCentred: usize = 0;
export let shiftTeacher: usize = 0;
export let shiftTeacherCentred: usize = 0;
export let columnCoefU: usize = 0;
export let columnCoefV: usize = 0;
/** One row of dloss/dp in the backward pass. */
export let rowScratch: usize = 0;
// [stride] f64 per column: the shifted sums of the thread's rows.
export let sumStudent: usize = 0;
export let sumTeacher: usize = 0;
export let sumXY: usize = 0;
export let sumXX: usize = 0;
export let sumYY: usize = 0;

/**
 * A few vectors a loop reads its per-row constants from. Written before the loop and loaded inside
 * it, so that V8 cannot float their computation (a horizontal max, a division) into the loop body,
 * which it otherwise does.
 */
export let loopConstants: usize = 0;
export const LOOP_CONSTANT_VECTORS: i32 = 8;
/** The exp polynomial's constants (exp.ts), four lanes each: V8 rebuilds a v128.const at every use in a loop. */
export let expConstants: usize = 0;
export const EXP_CONSTANT_VECTORS: i32 = 10;

/**
 * Column statistics (statistics.ts) are `STATISTICS_ARRAYS` arrays of `stride` f64, one after the
 * other: the column means of p and of q, their centred sums of squares and their co-moment.
 */
export const STATISTICS_ARRAYS: i32 = 5;

let top: usize = 0;

function take(bytes: usize): usize {
  const at = top;
  top += (bytes + 15) & ~(<usize>15);
  return at;
}

export function strideOf(columns: i32): i32 {
  return (columns + 3) & ~3;
}

function placeBatch(rows: i32, columns: i32, base: usize): usize {
  const rowStride = strideOf(columns);
  top = base;
  const matrix = <usize>rows * <usize>rowStride * 4;
  student = take(matrix);
  teacher = take(matrix);
  studentCentred = take(matrix);
  teacherCentred = take(matrix);
  rowU = take(<usize>rows * 8);
  rowV = take(<usize>rows * 8);
  rowMeanStudent = take(<usize>rows * 8);
  rowMeanTeacher = take(<usize>rows * 8);
  rowTerm = take(<usize>rows * 8);
  const column32 = <usize>rowStride * 4;
  const column64 = <usize>rowStride * 8;
  columnU = take(column64);
  columnV = take(column64);
  meanStudent = take(column32);
  meanTeacher = take(column32);
  formStudent = take(column32);
  formTeacher = take(column32);
  return top - base;
}

function placeThread(columns: i32, base: usize): usize {
  const rowStride = strideOf(columns);
  top = base;
  const column32 = <usize>rowStride * 4;
  const column64 = <usize>rowStride * 8;
  shiftStudent = take(column32);
  shiftStudentCentred = take(column32);
  shiftTeacher = take(column32);
  shiftTeacherCentred = take(column32);
  columnCoefU = take(column32);
  columnCoefV = take(column32);
  rowScratch = take(column32);
  sumStudent = take(column64);
  sumTeacher = take(column64);
  sumXY = take(column64);
  sumXX = take(column64);
  sumYY = take(column64);
  loopConstants = take(LOOP_CONSTANT_VECTORS * 16);
  expConstants = take(EXP_CONSTANT_VECTORS * 16);
  return top - base;
}

/** Bytes of the batch region of a `[rows, columns]` call. */
export function batchBytes(rows: i32, columns: i32): usize {
  return placeBatch(rows, columns, 0);
}

/** Bytes of one thread's region for rows of `columns` classes. */
export function threadBytes(columns: i32): usize {
  return placeThread(columns, 0);
}

/** Bytes of one set of column statistics for rows of `columns` classes. */
export function statisticsBytes(columns: i32): usize {
  return <usize>STATISTICS_ARRAYS * <usize>strideOf(columns) * 8;
}

/**
 * Lays out a `[rows, columns]` call: the batch region at `batchBase` and this thread's region at
 * `threadBase` (both 16-byte aligned).
 */
export function layOut(rows: i32, columns: i32, batchBase: usize, threadBase: usize): void {
  batch = rows;
  classes = columns;
  stride = strideOf(columns);
  vectors = stride >> 2;
  const valid = columns - (stride - 4);
  let mask = i32x4.splat(-1);
  if (valid < 4) mask = i32x4.replace_lane(mask, 3, 0);
  if (valid < 3) mask = i32x4.replace_lane(mask, 2, 0);
  if (valid < 2) mask = i32x4.replace_lane(mask, 1, 0);
  tailMask = mask;
  placeBatch(rows, columns, batchBase);
  placeThread(columns, threadBase);
}

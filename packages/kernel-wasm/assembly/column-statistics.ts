/**
 * Per-column statistics of the activations over a range of rows, in one pass over the rows, and the
 * columns' correlation terms once the statistics of every row are in (merged across threads, or
 * across the shards of a batch, by the host: Chan et al.'s update, exact for any split).
 *
 * The column means are not known until every row of the range has been seen, so the sums are
 * shifted by each column's first value K: Sxy = sum((x - K)(y - K')) - n * mean(x - K) * mean(y - K'),
 * exact in exact arithmetic and free of the cancellation of sum(x^2) - n * mean^2 (the "shifted
 * data" algorithm), since K is one of the column's own values.
 *
 * Each difference x - K is taken in the form that holds the column precisely, chosen by K: from p
 * when K is below half of c (`formOffset`: 1/C for the softmax, 1 for the sigmoid), where p keeps
 * relative precision that p - c has lost (a column of tiny probabilities), otherwise from p - c
 * (which keeps the small deviations of near-uniform softmax values, or the small 1 - p of sigmoid
 * values near 1, that p has rounded away). Both give the same difference in exact arithmetic;
 * where the form is wrong for a value, its difference from K is large next to either form's rounding.
 * The statistics hold each mean as a float64 value of p (K + mean(x - K), plus c for the second
 * form), which keeps both forms' precision.
 */
import { correlate, correlationU, correlationV } from './correlation';
import {
  classes,
  columnU,
  columnV,
  formOffset,
  formStudent,
  formTeacher,
  loopConstants,
  meanStudent,
  meanTeacher,
  shiftStudent,
  shiftStudentCentred,
  shiftTeacher,
  shiftTeacherCentred,
  stride,
  student,
  studentCentred,
  sumStudent,
  sumTeacher,
  sumXX,
  sumXY,
  sumYY,
  teacher,
  teacherCentred,
  vectors,
} from './layout';

/** Rows summed in f32 lanes before they are widened into the f64 column sums. */
export const ROW_BLOCK: i32 = 8;

/** Takes row `first` as every column's shift and clears the sums: call once per range, first. */
export function startColumns(first: i32): void {
  const bytes = <usize>stride << 2;
  const row = <usize>first * bytes;
  memory.copy(shiftStudent, student + row, bytes);
  memory.copy(shiftStudentCentred, studentCentred + row, bytes);
  memory.copy(shiftTeacher, teacher + row, bytes);
  memory.copy(shiftTeacherCentred, teacherCentred + row, bytes);
  const sums = <usize>stride << 3;
  memory.fill(sumStudent, 0, sums);
  memory.fill(sumTeacher, 0, sums);
  memory.fill(sumXY, 0, sums);
  memory.fill(sumXX, 0, sums);
  memory.fill(sumYY, 0, sums);
}

/** The difference x - K in the column's precise form (see above). */
// @ts-ignore: decorator
@inline
function shiftedDifference(p: v128, centred: v128, shiftP: v128, shiftCentred: v128, shiftIsSmall: v128): v128 {
  return v128.bitselect(f32x4.sub(p, shiftP), f32x4.sub(centred, shiftCentred), shiftIsSmall);
}

// @ts-ignore: decorator
@inline
function addWidened(at: usize, v: v128): void {
  v128.store(at, f64x2.add(v128.load(at), f64x2.promote_low_f32x4(v)));
  v128.store(at + 16, f64x2.add(v128.load(at + 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))));
}

/** Adds rows [first, first + count) (count <= ROW_BLOCK) to the shifted column sums. */
export function accumulateColumns(first: i32, count: i32): void {
  // Read through memory inside the loop: see `loopConstants`.
  v128.store(loopConstants, f32x4.splat(<f32>(0.5 * formOffset)));
  const rowBytes = <usize>stride << 2;
  const offset = <usize>first * rowBytes;
  // The matrices' addresses, read once: V8 reloads a global at every use in a loop.
  const p = student;
  const pCentred = studentCentred;
  const q = teacher;
  const qCentred = teacherCentred;
  for (let k = 0; k < vectors; k++) {
    const at = <usize>k << 4;
    const small = v128.load(loopConstants);
    const kp = v128.load(shiftStudent + at);
    const kc = v128.load(shiftStudentCentred + at);
    const kq = v128.load(shiftTeacher + at);
    const kqc = v128.load(shiftTeacherCentred + at);
    const kpSmall = f32x4.lt(kp, small);
    const kqSmall = f32x4.lt(kq, small);
    let sx = f32x4.splat(0);
    let sy = f32x4.splat(0);
    let sxy = f32x4.splat(0);
    let sxx = f32x4.splat(0);
    let syy = f32x4.splat(0);
    let row = offset + at;
    for (let r = 0; r < count; r++) {
      const x = shiftedDifference(v128.load(p + row), v128.load(pCentred + row), kp, kc, kpSmall);
      const y = shiftedDifference(v128.load(q + row), v128.load(qCentred + row), kq, kqc, kqSmall);
      sx = f32x4.add(sx, x);
      sy = f32x4.add(sy, y);
      sxy = f32x4.add(sxy, f32x4.mul(x, y));
      sxx = f32x4.add(sxx, f32x4.mul(x, x));
      syy = f32x4.add(syy, f32x4.mul(y, y));
      row += rowBytes;
    }
    const wide = <usize>k << 5;
    addWidened(sumStudent + wide, sx);
    addWidened(sumTeacher + wide, sy);
    addWidened(sumXY + wide, sxy);
    addWidened(sumXX + wide, sxx);
    addWidened(sumYY + wide, syy);
  }
}

// Where the five arrays of a set of column statistics start (layout.ts, STATISTICS_ARRAYS).
let means: usize = 0;
let meansTeacher: usize = 0;
let squaresStudent: usize = 0;
let squaresTeacher: usize = 0;
let coMoments: usize = 0;

function layOutStatistics(statistics: usize): void {
  const bytes = <usize>stride << 3;
  means = statistics;
  meansTeacher = statistics + bytes;
  squaresStudent = statistics + 2 * bytes;
  squaresTeacher = statistics + 3 * bytes;
  coMoments = statistics + 4 * bytes;
}

/**
 * Writes the statistics of the `count` rows summed since `startColumns` at `statistics`: per column
 * the means of p and q, their centred sums of squares and their co-moment (zero for no rows).
 */
export function writeStatistics(count: i32, statistics: usize): void {
  const n = <f64>count;
  const small = 0.5 * formOffset;
  layOutStatistics(statistics);
  for (let j = 0; j < stride; j++) {
    const at32 = <usize>j << 2;
    const at64 = <usize>j << 3;
    if (count == 0 || j >= classes) {
      store<f64>(means + at64, 0);
      store<f64>(meansTeacher + at64, 0);
      store<f64>(squaresStudent + at64, 0);
      store<f64>(squaresTeacher + at64, 0);
      store<f64>(coMoments + at64, 0);
      continue;
    }
    const dx = load<f64>(sumStudent + at64) / n;
    const dy = load<f64>(sumTeacher + at64) / n;
    store<f64>(means + at64, meanOfP(shiftStudent, shiftStudentCentred, at32, dx, small));
    store<f64>(meansTeacher + at64, meanOfP(shiftTeacher, shiftTeacherCentred, at32, dy, small));
    store<f64>(squaresStudent + at64, load<f64>(sumXX + at64) - n * dx * dx);
    store<f64>(squaresTeacher + at64, load<f64>(sumYY + at64) - n * dy * dy);
    store<f64>(coMoments + at64, load<f64>(sumXY + at64) - n * dx * dy);
  }
}

/** The column's mean as a value of p, from its shift in the form `accumulateColumns` took it in. */
// @ts-ignore: decorator
@inline
function meanOfP(shiftP: usize, shiftCentred: usize, at: usize, meanShift: f64, small: f64): f64 {
  const p = <f64>load<f32>(shiftP + at);
  return p < small ? p + meanShift : <f64>load<f32>(shiftCentred + at) + meanShift + formOffset;
}

/**
 * Turns the statistics of the whole batch into each column's correlation terms and its mean in the
 * form the backward pass centres with (p where the column's values are small, p - c otherwise);
 * returns the sum over columns of 1 - corr. Padding columns get zero terms, so they add nothing to
 * the gradient.
 */
export function finishColumns(statistics: usize, eps: f64, epsInside: f64): f64 {
  const small = 0.5 * formOffset;
  layOutStatistics(statistics);
  let sumOneMinusR: f64 = 0;
  for (let j = 0; j < stride; j++) {
    const at32 = <usize>j << 2;
    const at64 = <usize>j << 3;
    if (j >= classes) {
      store<f64>(columnU + at64, 0);
      store<f64>(columnV + at64, 0);
      store<f32>(meanStudent + at32, 0);
      store<f32>(meanTeacher + at32, 0);
      store<i32>(formStudent + at32, 0);
      store<i32>(formTeacher + at32, 0);
      continue;
    }
    const r = correlate(load<f64>(coMoments + at64), load<f64>(squaresStudent + at64), load<f64>(squaresTeacher + at64), eps, epsInside);
    store<f64>(columnU + at64, correlationU);
    store<f64>(columnV + at64, correlationV);
    sumOneMinusR += 1 - r;
    centringForm(load<f64>(means + at64), small, meanStudent, formStudent, at32);
    centringForm(load<f64>(meansTeacher + at64), small, meanTeacher, formTeacher, at32);
  }
  return sumOneMinusR;
}

/** Picks the column's form by its mean and stores the mean in that form. */
// @ts-ignore: decorator
@inline
function centringForm(meanP: f64, small: f64, mean: usize, form: usize, at: usize): void {
  const isSmall = meanP < small;
  store<f32>(mean + at, <f32>(isSmall ? meanP : meanP - formOffset));
  store<i32>(form + at, isSmall ? -1 : 0);
}

/**
 * DIST's forward and backward as one WebAssembly SIMD kernel. The module imports its memory (see
 * layout.ts), so one compiled module serves every host: a memory of its own, one shared by worker
 * threads (each running an instance on its own rows), or tfjs-backend-wasm's heap.
 *
 * A call of [batch, classes]: the host lays out the regions (`batchBytes`, `threadBytes`, `layOut`),
 * then per thread `forwardRows` on its range of rows (in one piece or several) and `finishPart`, which
 * leave that range's column statistics (`activateRows` lets another thread take some of its rows);
 * the host merges the statistics of all ranges, one thread calls `finishColumns` on them, and for the
 * gradient each thread calls `startBackward`, then `backwardRows` on its range (in one piece or
 * several). Logits and gradient are [batch, stride] matrices (`stride`: `classes` rounded up to a
 * multiple of 4). Each phase takes the call's activation: `SOFTMAX` (0) or `SIGMOID` (1).
 */
import { backwardRows as backwardOfRows, storeColumnCoefficients } from './backward';
import { accumulateColumns, finishColumns as finishColumnTerms, ROW_BLOCK, startColumns, writeStatistics } from './column-statistics';
import { writeExpConstants } from './exp';
import * as layout from './layout';
import { rowPair } from './row-pair';
import { sigmoidRowPair } from './sigmoid-rows';

export { batchBytes, threadBytes, statisticsBytes, SOFTMAX, SIGMOID } from './layout';

/** Lays out a [batch, classes] call: the shared batch region and this instance's thread region. */
export function layOut(batch: i32, classes: i32, batchBase: usize, threadBase: usize): void {
  layout.layOut(batch, classes, batchBase, threadBase);
  writeExpConstants();
}

/** The row stride, in floats, of the matrices the kernel reads and writes. */
export function rowStride(): i32 {
  return layout.stride;
}

/** The rows of a block of the column sums: a part's pieces (`forwardRows`) start at its multiples. */
export function columnRowBlock(): i32 {
  return ROW_BLOCK;
}

/** The activation and correlation of one row (see `forwardRows`); returns 1 - corr. */
// @ts-ignore: decorator
@inline
function activateRow(i: i32, student: usize, teacher: usize, log2eOverTau: f32, limit: f32, eps: f64, epsInside: f64, activation: i32): f64 {
  const at = <usize>i * (<usize>layout.stride << 2);
  if (activation == layout.SIGMOID) {
    return sigmoidRowPair(i, student + at, teacher + at, layout.student + at, layout.teacher + at, layout.studentCentred + at, layout.teacherCentred + at, log2eOverTau, limit, eps, epsInside);
  }
  return rowPair(i, student + at, teacher + at, layout.student + at, layout.teacher + at, layout.studentCentred + at, layout.teacherCentred + at, log2eOverTau, limit, eps, epsInside);
}

/**
 * Rows [first, first + count) activated and correlated for the part another thread runs
 * (`forwardRows` with `activated`), their 1 - corr kept for it: so that a thread with less to do
 * can take rows off another's part without changing that part's column statistics.
 */
export function activateRows(
  student: usize,
  teacher: usize,
  first: i32,
  count: i32,
  log2eOverTau: f32,
  eps: f64,
  epsInside: f64,
  limit: f32,
  activation: i32,
): void {
  layout.setActivation(activation);
  for (let i = first; i < first + count; i++) {
    store<f64>(layout.rowTerm + (<usize>i << 3), activateRow(i, student, teacher, log2eOverTau, limit, eps, epsInside, activation));
  }
}

/** The running sum of 1 - corr over the rows of the part this instance is running (`forwardRows`). */
let partInterSum: f64 = 0;

/**
 * The forward pass on rows [first, first + count) of the logits at `student` and `teacher` (the
 * whole matrices' addresses): the activation of logits / tau (the softmax as
 * 2^((x - max) * log2(e) / tau), or the sigmoid), the rows' correlations, and their column
 * statistics, as one piece of the part that starts at row `partFirst`. A part comes in one piece or
 * several, in order, each starting a whole number of `columnRowBlock` rows after `partFirst`, so
 * that the statistics are the same bits however it is cut; `finishPart` ends it. With `activated`,
 * the rows were activated by `activateRows` (on any thread, before this call) and are only summed.
 * A NaN sum when a logit is NaN, ±Infinity or beyond `limit` in magnitude, or when eps = 0 meets a
 * constant row.
 */
export function forwardRows(
  student: usize,
  teacher: usize,
  first: i32,
  count: i32,
  partFirst: i32,
  activated: i32,
  log2eOverTau: f32,
  eps: f64,
  epsInside: f64,
  limit: f32,
  activation: i32,
): void {
  layout.setActivation(activation);
  // Reset here, not with the columns below: a part may have no rows.
  if (first == partFirst) partInterSum = 0;
  let blockStart = first;
  const end = first + count;
  for (let i = first; i < end; i++) {
    const term = activated ? load<f64>(layout.rowTerm + (<usize>i << 3)) : activateRow(i, student, teacher, log2eOverTau, limit, eps, epsInside, activation);
    if (i == partFirst) startColumns(partFirst);
    partInterSum += term;
    // Column sums a block of rows at a time, while those rows are still in cache.
    if (i + 1 - blockStart == ROW_BLOCK || i + 1 == end) {
      accumulateColumns(blockStart, i + 1 - blockStart);
      blockStart = i + 1;
    }
  }
}

/** Ends the part of `count` rows `forwardRows` ran: its column statistics written at `statistics`; returns its sum of 1 - corr. */
export function finishPart(count: i32, statistics: usize): f64 {
  writeStatistics(count, statistics);
  return partInterSum;
}

/**
 * From the column statistics of all `batch` rows at `statistics`, each column's correlation terms
 * for the backward; returns the sum over columns of 1 - corr (NaN when eps = 0 meets a constant column).
 */
export function finishColumns(statistics: usize, eps: f64, epsInside: f64, activation: i32): f64 {
  layout.setActivation(activation);
  return finishColumnTerms(statistics, eps, epsInside);
}

/**
 * A thread's start of the backward, after `finishColumns` and before its `backwardRows`: the columns'
 * coefficients, scaled by colScale = upstream * gamma * tau / C, into this instance's thread region.
 * Once per thread and call, however many pieces its rows then come in.
 */
export function startBackward(colScale: f64): void {
  storeColumnCoefficients(colScale);
}

/**
 * Rows [first, first + count) of the gradient of upstream * loss, written at `gradient`, after
 * `startBackward`: rowScale = upstream * beta * tau / B.
 */
export function backwardRows(gradient: usize, first: i32, count: i32, rowScale: f64, activation: i32): void {
  layout.setActivation(activation);
  backwardOfRows(gradient, first, count, rowScale, activation == layout.SIGMOID);
}

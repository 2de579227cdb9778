/**
 * DIST's forward and backward as one WebAssembly SIMD kernel. The module imports its memory (see
 * layout.ts), so one compiled module serves every host: a memory of its own, one shared by worker
 * threads (each running an instance on its own rows), or tfjs-backend-wasm's heap.
 *
 * A call of [batch, classes]: the host lays out the regions (`batchBytes`, `threadBytes`, `layOut`),
 * then per thread `forwardRows` on its range of rows, which leaves that range's column statistics;
 * the host merges the statistics of all ranges, one thread calls `finishColumns` on them, and for the
 * gradient each thread calls `startBackward`, then `backwardRows` on its range (in one piece or several). On one thread, `forward` and `backward` do
 * it all. Logits and gradient are [batch, stride] matrices (`stride`: `classes` rounded up to a
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

/**
 * The forward pass on rows [first, first + count) of the logits at `student` and `teacher` (the
 * whole matrices' addresses): the activation of logits / tau (the softmax as
 * 2^((x - max) * log2(e) / tau), or the sigmoid), the rows' correlations, and the range's column
 * statistics written at `statistics`; returns the sum over the range of 1 - corr. NaN when a logit
 * is NaN, ±Infinity or beyond `limit` in magnitude, or when eps = 0 meets a constant row.
 */
export function forwardRows(
  student: usize,
  teacher: usize,
  first: i32,
  count: i32,
  log2eOverTau: f32,
  eps: f64,
  epsInside: f64,
  limit: f32,
  statistics: usize,
  activation: i32,
): f64 {
  layout.setActivation(activation);
  const rowBytes = <usize>layout.stride << 2;
  let interSum: f64 = 0;
  let blockStart = first;
  const end = first + count;
  for (let i = first; i < end; i++) {
    const at = <usize>i * rowBytes;
    if (activation == layout.SIGMOID) {
      interSum += sigmoidRowPair(i, student + at, teacher + at, layout.student + at, layout.teacher + at, layout.studentCentred + at, layout.teacherCentred + at, log2eOverTau, limit, eps, epsInside);
    } else {
      interSum += rowPair(i, student + at, teacher + at, layout.student + at, layout.teacher + at, layout.studentCentred + at, layout.teacherCentred + at, log2eOverTau, limit, eps, epsInside);
    }
    if (i == first) startColumns(first);
    // Column sums a block of rows at a time, while those rows are still in cache.
    if (i + 1 - blockStart == ROW_BLOCK || i + 1 == end) {
      accumulateColumns(blockStart, i + 1 - blockStart);
      blockStart = i + 1;
    }
  }
  writeStatistics(count, statistics);
  return interSum;
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

/**
 * DIST's forward and backward as one WebAssembly SIMD kernel, for the tfjs backends whose tensors
 * live in this process (wasm, cpu). The module imports its memory (see layout.ts). Per call the host
 * asks `scratchBytes`, allocates that much, calls `prepare`, then `forward` on the logits (rows
 * `stride` floats apart: `classes` rounded up to a multiple of 4) and, for the gradient, `backward`.
 */
import { backward as backwardRows } from './backward';
import { accumulateColumns, finishColumns, ROW_BLOCK, startColumns } from './column-statistics';
import { writeExpConstants } from './exp';
import * as layout from './layout';
import { rowPair } from './row-pair';

let intraMean: f64 = 0;

export { scratchBytes } from './layout';

/** Lays out a [batch, classes] call in `scratchBytes(batch, classes)` bytes at `scratch`. */
export function prepare(batch: i32, classes: i32, scratch: usize): void {
  layout.layOut(batch, classes, scratch);
  writeExpConstants();
}

/** The row stride, in floats, that `forward` and `backward` expect. */
export function rowStride(): i32 {
  return layout.stride;
}

/**
 * The forward pass on logits at `student` and `teacher`, softmax(logits / tau) computed as
 * 2^((x - max) * log2(e) / tau); returns the mean over rows of 1 - corr (inter), and leaves the mean
 * over columns (intra) for `intra()`. NaN when a logit is NaN, ±Infinity or beyond `limit` in
 * magnitude, or when eps = 0 meets a constant row or column.
 */
export function forward(student: usize, teacher: usize, log2eOverTau: f32, eps: f64, epsInside: f64, limit: f32): f64 {
  const rowBytes = <usize>layout.stride << 2;
  let interSum: f64 = 0;
  let blockStart = 0;
  for (let i = 0; i < layout.batch; i++) {
    const at = <usize>i * rowBytes;
    interSum += rowPair(
      i,
      student + at,
      teacher + at,
      layout.student + at,
      layout.teacher + at,
      layout.studentCentred + at,
      layout.teacherCentred + at,
      log2eOverTau,
      limit,
      eps,
      epsInside,
    );
    if (i == 0) startColumns();
    // Column sums a block of rows at a time, while those rows are still in cache.
    if (i + 1 - blockStart == ROW_BLOCK || i + 1 == layout.batch) {
      accumulateColumns(blockStart, i + 1 - blockStart);
      blockStart = i + 1;
    }
  }
  intraMean = finishColumns(eps, epsInside) / <f64>layout.classes;
  return interSum / <f64>layout.batch;
}

export function intra(): f64 {
  return intraMean;
}

/** The gradient of upstream * loss, written at `gradient` (rows `stride` apart); call after `forward`. */
export function backward(gradient: usize, rowScale: f64, colScale: f64): void {
  backwardRows(gradient, rowScale, colScale);
}

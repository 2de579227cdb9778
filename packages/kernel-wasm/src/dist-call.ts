/**
 * One DIST call on the kernel, over the rows split into parts (one per thread): the forward of each
 * part leaves that part's column statistics, which merge exactly (core's mergeColumnStatistics), then
 * one thread finishes the columns and each part's backward writes its rows of the gradient. The same
 * sequence serves one thread (one part) and many; only who runs a part differs (`PartRunner`).
 */
import { DistInputError, composeLoss, epsPlacement, logitLimit, mergeColumnStatistics, termWeights, type ColumnStatistics, type DistOptions } from '@dist-kd/core';
import type { KernelExports } from './module.js';

/** The addresses of a call's logits and gradient: [batch, stride] matrices in the kernel's memory. */
export interface CallMatrices {
  readonly student: number;
  readonly teacher: number;
  readonly gradient?: number;
}

/** Where a call's regions are, in the kernel's memory. */
export interface CallRegions {
  readonly batchBase: number;
  /** One thread region per part: part k runs in region k (part 0 on the calling thread). */
  readonly threadBases: readonly number[];
  /** One set of column statistics per part. */
  readonly statistics: readonly number[];
}

export interface CallShape {
  readonly batch: number;
  readonly classes: number;
}

/** One part's work: rows [first, first + count). */
export interface RowRange {
  readonly first: number;
  readonly count: number;
}

export interface ForwardParams {
  readonly log2eOverTau: number;
  readonly eps: number;
  readonly epsInside: number;
  readonly limit: number;
}

/** Runs the parts of a call: all on the calling thread, or on worker threads as well. */
export interface PartRunner {
  /** Each part's forward; returns each part's sum of 1 - corr over its rows. */
  forward(shape: CallShape, regions: CallRegions, matrices: CallMatrices, ranges: readonly RowRange[], params: ForwardParams): number[];
  backward(shape: CallShape, regions: CallRegions, gradient: number, ranges: readonly RowRange[], rowScale: number, colScale: number): void;
}

export interface CallTerms {
  readonly loss: number;
  readonly inter: number;
  readonly intra: number;
}

/** Bytes a call of [batch, classes] in `parts` parts needs besides its logit and gradient matrices. */
export function callBytes(kernel: KernelExports, shape: CallShape, parts: number): number {
  return kernel.batchBytes(shape.batch, shape.classes) + parts * (kernel.threadBytes(shape.classes) + kernel.statisticsBytes(shape.classes));
}

/** Lays out the regions of a call in `callBytes` bytes from `base` (16-byte aligned). */
export function callRegions(kernel: KernelExports, shape: CallShape, parts: number, base: number): CallRegions {
  const threadBytes = kernel.threadBytes(shape.classes);
  const statisticsBytes = kernel.statisticsBytes(shape.classes);
  const threadStart = base + kernel.batchBytes(shape.batch, shape.classes);
  const statisticsStart = threadStart + parts * threadBytes;
  return {
    batchBase: base,
    threadBases: Array.from({ length: parts }, (_, k) => threadStart + k * threadBytes),
    statistics: Array.from({ length: parts }, (_, k) => statisticsStart + k * statisticsBytes),
  };
}

/** Splits `batch` rows into at most `parts` contiguous ranges as even as can be, none empty. */
export function splitRows(batch: number, parts: number): RowRange[] {
  const count = Math.max(1, Math.min(parts, batch));
  return Array.from({ length: count }, (_, k) => {
    const first = Math.floor((k * batch) / count);
    return { first, count: Math.floor(((k + 1) * batch) / count) - first };
  });
}

/**
 * DIST of the logits at `matrices`, with the gradient of `upstream * loss` written at
 * `matrices.gradient` when given. The loss is NaN when a logit is not finite or beyond core's
 * `logitLimit`, or when eps = 0 meets a constant row or column: the caller explains which.
 */
export function runCall(
  kernel: KernelExports,
  memory: WebAssembly.Memory,
  runner: PartRunner,
  shape: CallShape,
  regions: CallRegions,
  matrices: CallMatrices,
  options: DistOptions,
  upstream = 1,
): CallTerms {
  if (options.activation !== 'softmax') {
    // The kernel's activation pass is the softmax; computing anything else would be a different loss.
    throw new DistInputError('UNSUPPORTED_FEATURE', `the WebAssembly SIMD kernel does not implement the feature "${options.activation}" (option activation); use activation: "softmax"`);
  }
  const ranges = splitRows(shape.batch, regions.threadBases.length);
  const { eps, epsInside } = epsPlacement(options);
  const params = { log2eOverTau: Math.LOG2E / options.tau, eps, epsInside, limit: float32AtMost(logitLimit('float32', options.tau)) };
  const interSums = runner.forward(shape, regions, matrices, ranges, params);
  if (ranges.length > 1) {
    const merged = statisticsAt(memory, regions.statistics[0], kernel.rowStride(), ranges[0].count);
    for (let k = 1; k < ranges.length; k++) mergeColumnStatistics(merged, statisticsAt(memory, regions.statistics[k], kernel.rowStride(), ranges[k].count));
  }
  kernel.layOut(shape.batch, shape.classes, regions.batchBase, regions.threadBases[0]);
  const intraSum = kernel.finishColumns(regions.statistics[0], eps, epsInside);
  const inter = interSums.reduce((sum, part) => sum + part, 0) / shape.batch;
  const terms = composeLoss(options, inter, intraSum / shape.classes);
  if (matrices.gradient !== undefined && Number.isFinite(terms.loss)) {
    // The loss's weights times the softmax backward's 1 / tau, over the means' counts.
    const weights = termWeights(options);
    const rowScale = (upstream * weights.inter) / options.tau / shape.batch;
    const colScale = (upstream * weights.intra) / options.tau / shape.classes;
    runner.backward(shape, regions, matrices.gradient, ranges, rowScale, colScale);
  }
  return terms;
}

/** The column statistics at `address` (assembly/layout.ts: five arrays of `stride` f64) as views. */
function statisticsAt(memory: WebAssembly.Memory, address: number, stride: number, rows: number): ColumnStatistics {
  const array = (index: number) => new Float64Array(memory.buffer, address + index * stride * 8, stride);
  return { rows, meanStudent: array(0), meanTeacher: array(1), squaresStudent: array(2), squaresTeacher: array(3), coMoment: array(4) };
}

/** Every part on the calling thread's kernel instance, in its one thread region. */
export function callingThreadRunner(kernel: KernelExports): PartRunner {
  return {
    forward(shape, regions, matrices, ranges, params) {
      kernel.layOut(shape.batch, shape.classes, regions.batchBase, regions.threadBases[0]);
      return ranges.map((range, k) =>
        kernel.forwardRows(matrices.student, matrices.teacher, range.first, range.count, params.log2eOverTau, params.eps, params.epsInside, params.limit, regions.statistics[k]),
      );
    },
    backward(shape, regions, gradient, ranges, rowScale, colScale) {
      kernel.layOut(shape.batch, shape.classes, regions.batchBase, regions.threadBases[0]);
      for (const range of ranges) kernel.backwardRows(gradient, range.first, range.count, rowScale, colScale);
    },
  };
}

/** The largest float32 not above `value`, so that the kernel's float32 comparison is as strict. */
function float32AtMost(value: number): number {
  const rounded = Math.fround(value);
  if (rounded <= value) return rounded;
  const bits = new Float32Array([rounded]);
  new Int32Array(bits.buffer)[0] -= 1;
  return bits[0];
}

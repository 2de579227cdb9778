/**
 * One DIST call on the kernel, over the rows split into parts (one per thread): the forward of each
 * part leaves that part's column statistics, which merge exactly (core's mergeColumnStatistics), then
 * one thread finishes the columns and each part's backward writes its rows of the gradient. The same
 * sequence serves one thread (one part) and many; only who runs a part differs (`PartRunner`).
 */
import { composeLoss, epsPlacement, logitLimit, mergeColumnStatistics, termWeights, type ColumnStatistics, type DistOptions } from '@dist-kd/core';
import { ACTIVATION_CODES, type ActivationCode, type KernelExports } from './module.js';

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
  readonly activation: ActivationCode;
  readonly log2eOverTau: number;
  readonly eps: number;
  readonly epsInside: number;
  readonly limit: number;
  /** Whether the call's backward follows (threads that run the forward then stay awake for it). */
  readonly backwardFollows: boolean;
}

/**
 * What the calling thread does for each part around the kernel's work: copy the part's logits in
 * just before its forward starts, copy its gradient rows out as soon as its backward is done. The
 * host's arrays are the calling thread's alone, so these run there; done part by part, they overlap
 * with the parts the workers are running.
 */
export interface PartHooks {
  readonly beforeForward?: (range: RowRange) => void;
  readonly afterBackward?: (range: RowRange) => void;
}

/** Runs the parts of a call: all on the calling thread, or on worker threads as well. */
export interface PartRunner {
  /** Each part's forward; returns each part's sum of 1 - corr over its rows. */
  forward(
    shape: CallShape,
    regions: CallRegions,
    matrices: CallMatrices,
    ranges: readonly RowRange[],
    params: ForwardParams,
    hooks: PartHooks,
  ): number[];
  backward(
    shape: CallShape,
    regions: CallRegions,
    gradient: number,
    ranges: readonly RowRange[],
    rowScale: number,
    colScale: number,
    activation: ActivationCode,
    hooks: PartHooks,
  ): void;
}

/** One call: the kernel instance of the calling thread, its memory, who runs the parts, and the call's layout. */
export interface KernelCall {
  readonly kernel: KernelExports;
  readonly memory: WebAssembly.Memory;
  readonly runner: PartRunner;
  readonly shape: CallShape;
  readonly regions: CallRegions;
  readonly matrices: CallMatrices;
  readonly options: DistOptions;
  readonly hooks?: PartHooks;
}

export interface CallTerms {
  readonly loss: number;
  readonly inter: number;
  readonly intra: number;
}

/** The statistics of a whole batch that a call's rows are one shard of (core's ShardStatisticsView). */
export interface WholeBatch {
  readonly rows: number;
  readonly interSum: number;
  readonly columns: ColumnStatistics;
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

/**
 * Splits `batch` rows into at most `parts` contiguous ranges, none empty: evenly, or with part 0
 * (the calling thread's) given `firstShare` of the rows and the others the rest evenly.
 */
export function splitRows(batch: number, parts: number, firstShare?: number): RowRange[] {
  const count = Math.max(1, Math.min(parts, batch));
  if (firstShare === undefined || count === 1) {
    return Array.from({ length: count }, (_, k) => {
      const first = Math.floor((k * batch) / count);
      return { first, count: Math.floor(((k + 1) * batch) / count) - first };
    });
  }
  const firstRows = Math.min(batch - (count - 1), Math.max(1, Math.round(firstShare * batch)));
  return [{ first: 0, count: firstRows }, ...splitRows(batch - firstRows, count - 1).map((range) => ({ first: firstRows + range.first, count: range.count }))];
}

/**
 * What the calling thread's copy of a gradient row out costs, relative to computing the row:
 * scripts/call-profile.mjs at 1024x1000 and 128x32000 on one thread of a 2-core Xeon, 0.30 to 0.31.
 */
const COPY_OUT_COST = 0.3;

/**
 * What copying a row of both logits in costs, relative to the row's forward: scripts/call-profile.mjs
 * on one thread of a 2-core Xeon, 0.15 at 256x1000 and 0.22 at 128x32000.
 */
const COPY_IN_COST = 0.2;

/**
 * How many of part 0's last rows (`partRows` of a `batch` in `parts` parts) part 1's worker
 * activates for it (`activateHandedRows`) when the calling thread also copies every part's logits
 * in (a worker starts on its rows as they come in). The calling thread then takes c B + a (B/P - R)
 * (c = COPY_IN_COST, a = one row's forward), part 1's worker a (B/P + R): they are even at
 * R = c B / 2, in units of a, rounded so that part 0 keeps a whole number of `rowBlock` rows (the
 * column sums' blocks, `columnRowBlock`): its statistics are then those of an uncut part. Part 0
 * keeps at least one block.
 */
export function forwardHandoff(partRows: number, batch: number, parts: number, rowBlock: number): number {
  if (parts <= 1) return 0;
  const kept = Math.round((partRows - (COPY_IN_COST * batch) / 2) / rowBlock) * rowBlock;
  return Math.max(0, partRows - Math.max(kept, rowBlock));
}

/**
 * Part 0's share of the backward's rows when the calling thread also copies every part's gradient
 * rows out (`PartHooks.afterBackward`): its own once they are done, then the workers' piece by
 * piece while they go on (threads/pool.ts). With c = COPY_OUT_COST, its rows and all the copies,
 * s0 + c, take as long as a worker's share s = (1 - s0) / (parts - 1): s0 = (1 - c (parts - 1)) /
 * parts, 0.35 for 2 threads, and none but one row from 5 threads on. The forward keeps an even
 * split of the column statistics, which merge to the bits a binding (which copies nothing) gets,
 * and evens out the copying in by `forwardHandoff`.
 */
export function backwardCallingShare(parts: number): number {
  return parts <= 1 ? 1 : Math.max(0, (1 - COPY_OUT_COST * (parts - 1)) / parts);
}

/**
 * DIST of the logits at `matrices`, with the gradient of the loss written at `matrices.gradient`
 * when given; with `whole`, of the whole batch these rows are a shard of. The loss is NaN when a
 * logit is not finite or beyond core's `logitLimit`, or when eps = 0 meets a constant row or column:
 * the caller explains which.
 */
export function runCall(call: KernelCall, whole?: WholeBatch): CallTerms {
  const { kernel, memory, runner, shape, regions, matrices, options, hooks = {} } = call;
  const activation = ACTIVATION_CODES[options.activation];
  const parts = regions.threadBases.length;
  const { eps, epsInside } = epsPlacement(options);
  const interSum = forwardAndMerge(call, splitRows(shape.batch, parts), matrices.gradient !== undefined);
  // The columns of the whole batch: this call's rows, or every shard's merged statistics.
  if (whole) writeStatistics(statisticsAt(memory, regions.statistics[0], kernel.rowStride(), whole.rows), whole.columns, shape.classes);
  kernel.layOut(shape.batch, shape.classes, regions.batchBase, regions.threadBases[0]);
  const intraSum = kernel.finishColumns(regions.statistics[0], eps, epsInside, activation);
  const rows = whole?.rows ?? shape.batch;
  const terms = composeLoss(options, (whole?.interSum ?? interSum) / rows, intraSum / shape.classes);
  if (matrices.gradient !== undefined && Number.isFinite(terms.loss)) {
    // The loss's weights times the activation backward's 1 / tau, over the means' counts.
    const weights = termWeights(options);
    const rowScale = weights.inter / options.tau / rows;
    const colScale = weights.intra / options.tau / shape.classes;
    // Any thread can compute any row's gradient: the split need not be the forward's.
    const ranges = splitRows(shape.batch, parts, hooks.afterBackward ? backwardCallingShare(parts) : undefined);
    runner.backward(shape, regions, matrices.gradient, ranges, rowScale, colScale, activation, hooks);
  }
  return terms;
}

/**
 * Phase 1 of a shard: the forward over its rows, whose sum of 1 - r_i and column statistics (copied
 * out, `classes` wide) it returns. NaN in the sum when a logit is bad, as `runCall`'s loss.
 */
export function runStatistics(call: KernelCall): WholeBatch {
  const { kernel, memory, shape, regions } = call;
  const interSum = forwardAndMerge(call, splitRows(shape.batch, regions.threadBases.length), false);
  const merged = statisticsAt(memory, regions.statistics[0], kernel.rowStride(), shape.batch);
  const copy = (values: Float64Array) => values.slice(0, shape.classes);
  const columns = {
    rows: shape.batch,
    meanStudent: copy(merged.meanStudent),
    meanTeacher: copy(merged.meanTeacher),
    squaresStudent: copy(merged.squaresStudent),
    squaresTeacher: copy(merged.squaresTeacher),
    coMoment: copy(merged.coMoment),
  };
  return { rows: shape.batch, interSum, columns };
}

/** Each part's forward, then the parts' column statistics merged into part 0's; returns the sum of 1 - r_i. */
function forwardAndMerge(call: KernelCall, ranges: readonly RowRange[], backwardFollows: boolean): number {
  const { kernel, memory, runner, shape, regions, matrices, options, hooks = {} } = call;
  const { eps, epsInside } = epsPlacement(options);
  const params = {
    activation: ACTIVATION_CODES[options.activation],
    log2eOverTau: Math.LOG2E / options.tau,
    eps,
    epsInside,
    limit: float32AtMost(logitLimit('float32', options.tau)),
    backwardFollows,
  };
  const interSums = runner.forward(shape, regions, matrices, ranges, params, hooks);
  if (ranges.length > 1) {
    const merged = statisticsAt(memory, regions.statistics[0], kernel.rowStride(), ranges[0].count);
    for (let k = 1; k < ranges.length; k++) mergeColumnStatistics(merged, statisticsAt(memory, regions.statistics[k], kernel.rowStride(), ranges[k].count));
  }
  return interSums.reduce((sum, part) => sum + part, 0);
}

/** Writes `columns` (`classes` wide) into kernel statistics, zero in the padding columns. */
function writeStatistics(into: ColumnStatistics, columns: ColumnStatistics, classes: number): void {
  const pairs: [Float64Array, Float64Array][] = [
    [into.meanStudent, columns.meanStudent],
    [into.meanTeacher, columns.meanTeacher],
    [into.squaresStudent, columns.squaresStudent],
    [into.squaresTeacher, columns.squaresTeacher],
    [into.coMoment, columns.coMoment],
  ];
  for (const [target, source] of pairs) {
    target.fill(0);
    target.set(source.subarray(0, classes));
  }
}

/** The column statistics at `address` (assembly/layout.ts: five arrays of `stride` f64) as views. */
function statisticsAt(memory: WebAssembly.Memory, address: number, stride: number, rows: number): ColumnStatistics {
  const array = (index: number) => new Float64Array(memory.buffer, address + index * stride * 8, stride);
  return { rows, meanStudent: array(0), meanTeacher: array(1), squaresStudent: array(2), squaresTeacher: array(3), coMoment: array(4) };
}

/**
 * One part's forward on `kernel` (laid out for the call): its sum of 1 - r_i (NaN for a bad logit),
 * its column statistics written at `statistics`. With `handedOff`, the part's last `count` rows are
 * activated by another thread (`activateHandedRows`); `await` returns once they are, and the part
 * then sums them as if it had activated them itself: the same bits.
 */
export function forwardPart(
  kernel: KernelExports,
  matrices: CallMatrices,
  range: RowRange,
  statistics: number,
  params: ForwardParams,
  handedOff?: { readonly count: number; readonly await: () => void },
): number {
  const own = range.count - (handedOff?.count ?? 0);
  const piece = (first: number, count: number, activated: number) =>
    kernel.forwardRows(matrices.student, matrices.teacher, first, count, range.first, activated, params.log2eOverTau, params.eps, params.epsInside, params.limit, params.activation);
  piece(range.first, own, 0);
  if (handedOff && handedOff.count > 0) {
    handedOff.await();
    piece(range.first + own, handedOff.count, 1);
  }
  return kernel.finishPart(range.count, statistics);
}

/** Activates `rows` of another thread's part for it (see `forwardPart`'s `handedOff`). */
export function activateHandedRows(kernel: KernelExports, matrices: CallMatrices, rows: RowRange, params: ForwardParams): void {
  kernel.activateRows(matrices.student, matrices.teacher, rows.first, rows.count, params.log2eOverTau, params.eps, params.epsInside, params.limit, params.activation);
}

/** Every part on the calling thread's kernel instance, in its one thread region. */
export function callingThreadRunner(kernel: KernelExports): PartRunner {
  return {
    forward(shape, regions, matrices, ranges, params, hooks) {
      kernel.layOut(shape.batch, shape.classes, regions.batchBase, regions.threadBases[0]);
      return ranges.map((range, k) => {
        hooks.beforeForward?.(range);
        return forwardPart(kernel, matrices, range, regions.statistics[k], params);
      });
    },
    backward(shape, regions, gradient, ranges, rowScale, colScale, activation, hooks) {
      kernel.layOut(shape.batch, shape.classes, regions.batchBase, regions.threadBases[0]);
      kernel.startBackward(colScale);
      for (const range of ranges) {
        kernel.backwardRows(gradient, range.first, range.count, rowScale, activation);
        hooks.afterBackward?.(range);
      }
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

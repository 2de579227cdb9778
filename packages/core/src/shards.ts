/**
 * DIST of one batch split by rows into shards (data-parallel ranks, micro-batches), exactly as the
 * whole batch (SPEC.md, "Shards of one batch"). The intra-class term correlates each class over the
 * whole batch, so a shard first computes its statistics (phase 1: O(C) numbers), the statistics of
 * all shards are merged (any order, any grouping), and each shard then computes the whole batch's
 * loss and its own rows of the gradient from the merged statistics (phase 2).
 *
 * A shard's statistics are a plain Float64Array, so they travel over whatever the training job
 * already uses (postMessage, a WebSocket as JSON, an all-reduce); the layout is versioned:
 *
 *   [0] format version (1)    [1] classes C          [2] rows              [3] sum over rows of (1 - r_i)
 *   [4] tau                   [5] eps                [6] eps inside the square roots (epsPlacement)
 *   [7] activation: 0 softmax, 1 sigmoid
 *   [8 ..]  five arrays of C: column means of p, of q, centred sums of squares of p, of q, co-moment
 *
 * The options that change the statistics (tau, eps and where it goes, the activation) are recorded
 * so that shards computed with different options cannot be merged by mistake.
 */
import { DistInputError } from './errors.js';
import { composeLoss, epsPlacement } from './numerics.js';
import { correlationOfSums } from './reference.js';
import type { DistTerms } from './backend.js';
import type { DistOptions } from './options.js';
import { mergeColumnStatistics, type ColumnStatistics } from './statistics.js';

export const SHARD_STATISTICS_VERSION = 1;
const HEADER = 8;
const ARRAYS = 5;

/** A shard's statistics (phase 1), or the merge of several (see the layout above). */
export type ShardStatistics = Float64Array;

/** The parts of a ShardStatistics, as views on it. */
export interface ShardStatisticsView {
  readonly classes: number;
  readonly rows: number;
  readonly interSum: number;
  readonly columns: ColumnStatistics;
}

/** Empty statistics (no rows) for `classes` classes and these options, to fill or merge into. */
export function emptyShardStatistics(classes: number, options: DistOptions): ShardStatistics {
  const statistics = new Float64Array(HEADER + ARRAYS * classes);
  const { eps, epsInside } = epsPlacement(options);
  statistics.set([SHARD_STATISTICS_VERSION, classes, 0, 0, options.tau, eps, epsInside, options.activation === 'sigmoid' ? 1 : 0]);
  return statistics;
}

/** Statistics of `rows` rows from their sum of 1 - r_i and their column statistics (of width >= classes). */
export function shardStatistics(classes: number, options: DistOptions, rows: number, interSum: number, columns: ColumnStatistics): ShardStatistics {
  const statistics = emptyShardStatistics(classes, options);
  statistics[2] = rows;
  statistics[3] = interSum;
  const parts = [columns.meanStudent, columns.meanTeacher, columns.squaresStudent, columns.squaresTeacher, columns.coMoment];
  parts.forEach((values, k) => statistics.set(values.subarray(0, classes), HEADER + k * classes));
  return statistics;
}

/** The statistics' parts, after checking the layout: a typed error for anything that is not statistics. */
export function readShardStatistics(statistics: ShardStatistics): ShardStatisticsView {
  if (!(statistics instanceof Float64Array) || statistics.length < HEADER) {
    throw new DistInputError('BAD_STATISTICS', 'shard statistics must be the Float64Array a backend\'s shards.statistics returned (or a merge of them)');
  }
  const [version, classes, rows] = statistics;
  if (version !== SHARD_STATISTICS_VERSION) {
    throw new DistInputError('BAD_STATISTICS', `shard statistics of format version ${version}; this library reads version ${SHARD_STATISTICS_VERSION}`);
  }
  if (!Number.isInteger(classes) || classes < 1 || statistics.length !== HEADER + ARRAYS * classes || !Number.isInteger(rows) || rows < 0) {
    throw new DistInputError('BAD_STATISTICS', `shard statistics for ${classes} classes must hold ${HEADER} + 5 * C numbers and a whole row count`);
  }
  const array = (k: number) => statistics.subarray(HEADER + k * classes, HEADER + (k + 1) * classes);
  return {
    classes,
    rows,
    interSum: statistics[3],
    columns: { rows, meanStudent: array(0), meanTeacher: array(1), squaresStudent: array(2), squaresTeacher: array(3), coMoment: array(4) },
  };
}

/**
 * The statistics of the union of the shards: exact (Chan et al.'s update, float64), so any order
 * and grouping gives the same result up to rounding. Shards must have the same classes and options.
 */
export function mergeShardStatistics(...parts: readonly ShardStatistics[]): ShardStatistics {
  if (parts.length === 0) throw new DistInputError('BAD_STATISTICS', 'mergeShardStatistics needs the statistics of at least one shard');
  const merged = parts[0].slice();
  const into = readShardStatistics(merged);
  const columns = { ...into.columns };
  for (const part of parts.slice(1)) {
    const view = readShardStatistics(part);
    checkSameSetting(merged, part);
    mergeColumnStatistics(columns, view.columns);
    merged[3] += view.interSum;
  }
  merged[2] = columns.rows;
  return merged;
}

/** Throws unless `statistics` were computed for `classes` classes with these options. */
export function checkShardStatisticsFor(statistics: ShardStatistics, classes: number, options: DistOptions): ShardStatisticsView {
  const view = readShardStatistics(statistics);
  checkSameSetting(statistics, emptyShardStatistics(classes, options));
  if (view.rows === 0) {
    throw new DistInputError('BAD_STATISTICS', 'the merged statistics hold no rows: merge the statistics of every shard of the batch, and give at least one row');
  }
  return view;
}

function checkSameSetting(a: ShardStatistics, b: ShardStatistics): void {
  const names = ['classes', '', '', 'tau', 'eps', 'eps placement', 'activation'];
  for (const k of [1, 4, 5, 6, 7]) {
    if (a[k] !== b[k]) {
      throw new DistInputError(
        'BAD_STATISTICS',
        `shard statistics disagree on ${names[k - 1]} (${a[k]} and ${b[k]}): every shard of a batch must use the same classes and options`,
      );
    }
  }
}

/** The whole batch's columns, finished from merged statistics: what phase 2 of every backend needs. */
export interface MergedColumnTerms {
  /** The whole batch's loss, inter and intra. */
  readonly terms: DistTerms;
  /** Per column: its correlation r over the whole batch, and the gradient's coefficients u = 1 / D and v = r (b / a) / D. */
  readonly r: Float64Array;
  readonly u: Float64Array;
  readonly v: Float64Array;
}

/**
 * Finishes the columns from the merged statistics in float64 (SPEC.md's column correlation, as the
 * reference computes it): dcorr_j / dp_ij = u_j (q_ij - mean q_j) - v_j (p_ij - mean p_j). v is 0
 * where a = 0 (every centred p of the column is 0: the term's limit). eps = 0 on a column flat in
 * both inputs is DEGENERATE, as on a whole batch.
 */
export function mergedColumnTerms(whole: ShardStatisticsView, options: DistOptions): MergedColumnTerms {
  const { classes, columns } = whole;
  const [r, u, v] = [new Float64Array(classes), new Float64Array(classes), new Float64Array(classes)];
  let intraSum = 0;
  for (let j = 0; j < classes; j++) {
    const c = correlationOfSums(columns.coMoment[j], columns.squaresStudent[j], columns.squaresTeacher[j], options);
    r[j] = c.r;
    u[j] = 1 / c.D;
    v[j] = c.a === 0 ? 0 : (c.r * (c.b / c.a)) / c.D;
    intraSum += 1 - c.r;
  }
  return { terms: composeLoss(options, whole.interSum / whole.rows, intraSum / classes), r, u, v };
}

import type { ColumnStatistics, DistOptions } from '@dist-kd/core';
import { correlationTerms, type CorrelationTerms } from './correlation.js';

/**
 * Per-column sums over a range of rows, accumulated shifted by the range's first row (K_j).
 *
 * The column means are not known until every row has been seen; a second pass over [B, C] to
 * centre would cost a full read of both matrices. Shifted sums give the centred ones exactly in
 * exact arithmetic, Sxy = sum((x-K)(y-K')) - n * mean(x-K) * mean(y-K'), and because K_j is one of
 * the column's own values the subtraction does not cancel catastrophically (the "shifted data"
 * variance algorithm). The shards of a batch merge their statistics with core's
 * `mergeColumnStatistics` (Chan et al.'s pairwise update).
 */
export interface ColumnPartial {
  /** Rows accumulated so far. */
  rows: number;
  readonly shiftStudent: Float64Array;
  readonly shiftTeacher: Float64Array;
  readonly sumStudent: Float64Array;
  readonly sumTeacher: Float64Array;
  readonly sxy: Float64Array;
  readonly sxx: Float64Array;
  readonly syy: Float64Array;
}

const PARTIAL_FIELDS = ['shiftStudent', 'shiftTeacher', 'sumStudent', 'sumTeacher', 'sxy', 'sxx', 'syy'] as const;

/** A partial for `classes` columns, in one buffer (`memory`, when given) so that it travels as one piece. */
export function createColumnPartial(classes: number, memory?: ArrayBufferLike): ColumnPartial {
  const buffer = memory ?? new ArrayBuffer(PARTIAL_FIELDS.length * classes * 8);
  const fields = Object.fromEntries(
    PARTIAL_FIELDS.map((name, index) => [name, new Float64Array(buffer, index * classes * 8, classes)]),
  ) as Record<(typeof PARTIAL_FIELDS)[number], Float64Array>;
  return { rows: 0, ...fields };
}

/** The buffer holding all of a partial's arrays. */
export function columnPartialBuffer(partial: ColumnPartial): ArrayBufferLike {
  return partial.shiftStudent.buffer;
}

export function resetColumnPartial(partial: ColumnPartial): void {
  partial.rows = 0;
  partial.sumStudent.fill(0);
  partial.sumTeacher.fill(0);
  partial.sxy.fill(0);
  partial.sxx.fill(0);
  partial.syy.fill(0);
}

/** Rows whose column sums are accumulated together: each accumulator is loaded and stored once per block. */
export const ROW_BLOCK = 4;

/**
 * Adds `count` (1..ROW_BLOCK) consecutive rows of softmax values, stored `classes` apart
 * from `start` in the two arrays. Reading and writing the five per-column accumulators dominates
 * this loop, so a block of rows shares one read and one write of each.
 */
export function accumulateColumns(
  partial: ColumnPartial,
  deltaS: Float64Array,
  deltaT: Float64Array,
  start: number,
  count: number,
): void {
  const { shiftStudent, shiftTeacher, sumStudent, sumTeacher, sxy, sxx, syy } = partial;
  const classes = shiftStudent.length;
  if (partial.rows === 0) {
    shiftStudent.set(deltaS.subarray(start, start + classes));
    shiftTeacher.set(deltaT.subarray(start, start + classes));
  }
  partial.rows += count;
  if (count === ROW_BLOCK) {
    const o1 = start + classes;
    const o2 = o1 + classes;
    const o3 = o2 + classes;
    for (let j = 0; j < classes; j++) {
      const ks = shiftStudent[j];
      const kt = shiftTeacher[j];
      const s0 = deltaS[start + j] - ks;
      const s1 = deltaS[o1 + j] - ks;
      const s2 = deltaS[o2 + j] - ks;
      const s3 = deltaS[o3 + j] - ks;
      const t0 = deltaT[start + j] - kt;
      const t1 = deltaT[o1 + j] - kt;
      const t2 = deltaT[o2 + j] - kt;
      const t3 = deltaT[o3 + j] - kt;
      sumStudent[j] += s0 + s1 + (s2 + s3);
      sumTeacher[j] += t0 + t1 + (t2 + t3);
      sxy[j] += s0 * t0 + s1 * t1 + (s2 * t2 + s3 * t3);
      sxx[j] += s0 * s0 + s1 * s1 + (s2 * s2 + s3 * s3);
      syy[j] += t0 * t0 + t1 * t1 + (t2 * t2 + t3 * t3);
    }
    return;
  }
  for (let r = 0; r < count; r++) {
    const o = start + r * classes;
    for (let j = 0; j < classes; j++) {
      const cs = deltaS[o + j] - shiftStudent[j];
      const ct = deltaT[o + j] - shiftTeacher[j];
      sumStudent[j] += cs;
      sumTeacher[j] += ct;
      sxy[j] += cs * ct;
      sxx[j] += cs * cs;
      syy[j] += ct * ct;
    }
  }
}

/** Centred column statistics over all rows. */
export interface ColumnStats {
  readonly meanStudent: Float64Array;
  readonly meanTeacher: Float64Array;
  readonly terms: CorrelationTerms;
}

export function createColumnStats(classes: number): ColumnStats {
  return {
    meanStudent: new Float64Array(classes),
    meanTeacher: new Float64Array(classes),
    terms: { r: new Float64Array(classes), inverseD: new Float64Array(classes), ratio: new Float64Array(classes) },
  };
}

/** The partial's rows as core's column statistics: means and centred sums, from the shifted sums. */
export function partialStatistics(partial: ColumnPartial): ColumnStatistics {
  const classes = partial.shiftStudent.length;
  const m = partial.rows;
  const statistics = {
    rows: m,
    meanStudent: new Float64Array(classes),
    meanTeacher: new Float64Array(classes),
    squaresStudent: new Float64Array(classes),
    squaresTeacher: new Float64Array(classes),
    coMoment: new Float64Array(classes),
  };
  if (m === 0) return statistics;
  for (let j = 0; j < classes; j++) {
    const shiftedMeanS = partial.sumStudent[j] / m;
    const shiftedMeanT = partial.sumTeacher[j] / m;
    statistics.meanStudent[j] = partial.shiftStudent[j] + shiftedMeanS;
    statistics.meanTeacher[j] = partial.shiftTeacher[j] + shiftedMeanT;
    statistics.squaresStudent[j] = partial.sxx[j] - m * shiftedMeanS * shiftedMeanS;
    statistics.squaresTeacher[j] = partial.syy[j] - m * shiftedMeanT * shiftedMeanT;
    statistics.coMoment[j] = partial.sxy[j] - m * shiftedMeanS * shiftedMeanT;
  }
  return statistics;
}

/**
 * Each column's correlation terms into `stats` from the statistics of all the batch's rows (this
 * call's, or the merged statistics of every shard); returns the sum over columns of (1 - r).
 */
export function finishColumns(statistics: ColumnStatistics, options: DistOptions, stats: ColumnStats): number {
  const classes = stats.meanStudent.length;
  let sumOneMinusR = 0;
  for (let j = 0; j < classes; j++) {
    stats.meanStudent[j] = statistics.meanStudent[j];
    stats.meanTeacher[j] = statistics.meanTeacher[j];
    correlationTerms(statistics.coMoment[j], statistics.squaresStudent[j], statistics.squaresTeacher[j], options, stats.terms, j);
    sumOneMinusR += 1 - stats.terms.r[j];
  }
  return sumOneMinusR;
}

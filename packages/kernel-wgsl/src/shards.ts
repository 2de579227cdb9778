/**
 * The host side of DIST across shards (core's shards.ts; SPEC.md, "Shards of one batch") for the
 * kernels' column records (ColumnRecord in kernels/common.ts): phase 1 reads a shard's records back
 * into core's float64 statistics, phase 2 turns the merged statistics into the records the gradient
 * kernel reads, with the column correlations' coefficients computed here in float64.
 */
import {
  composeLoss,
  degenerateError,
  epsPlacement,
  shardStatistics,
  type DistOptions,
  type DistTerms,
  type ShardStatistics,
  type ShardStatisticsView,
} from '@dist-kd/core';
import { COLUMN_RECORD_BYTES } from './kernels/index.js';

/** float32 slots of one ColumnRecord (kernels/common.ts). */
const RECORD_FLOATS = COLUMN_RECORD_BYTES / 4;
const FIELD = { meanW: 0, meanOffset: 2, sxy: 4, sxx: 5, syy: 6, r: 7, invD: 8, k: 9, degenerate: 10 } as const;

/**
 * Phase 1: a shard's statistics from its column records, as the column kernels left them for the
 * shard's `rows` rows, and its rows' sum of 1 - r_i. The column mean of p is meanW + meanOffset
 * (float32 parts, added in float64).
 */
export function statisticsFromColumnRecords(
  records: Float32Array,
  classes: number,
  options: DistOptions,
  rows: number,
  interSum: number,
): ShardStatistics {
  const column = (field: number, second?: number) =>
    Float64Array.from({ length: classes }, (_, j) => {
      const at = j * RECORD_FLOATS;
      return records[at + field] + (second === undefined ? 0 : records[at + second]);
    });
  return shardStatistics(classes, options, rows, interSum, {
    rows,
    meanStudent: column(FIELD.meanW, FIELD.meanOffset),
    meanTeacher: column(FIELD.meanW + 1, FIELD.meanOffset + 1),
    squaresStudent: column(FIELD.sxx),
    squaresTeacher: column(FIELD.syy),
    coMoment: column(FIELD.sxy),
  });
}

/** The merged statistics as the gradient kernel's column records, and the whole batch's loss. */
export interface MergedColumns {
  readonly records: Float32Array<ArrayBuffer>;
  readonly terms: DistTerms;
}

/**
 * Phase 2: the whole batch's loss, inter and intra from the merged statistics (float64), and the
 * column records for the gradient kernel: each column's r, 1/D and r*(b/a)/D, and its mean of p
 * split into meanW + meanOffset the way the row kernel splits p = w + offset, so that the kernel's
 * (w - meanW) + (offset - meanOffset) keeps the small digits of a near-uniform column: there the
 * rows' offsets are about 1/C (a near-uniform row stores w = p - offset, offset = 1/C - a tiny
 * residual), so meanOffset = float32(1/C) makes offset - meanOffset exact and meanW = mean(p) -
 * meanOffset is the small part, rounded once from float64. Elsewhere meanOffset = 0 and meanW is
 * the mean itself (a peaked row's offset is 0). A degenerate merged column (D = 0, only with
 * eps = 0) is the DEGENERATE error, as for a whole batch.
 */
export function columnRecordsFromStatistics(whole: ShardStatisticsView, options: DistOptions): MergedColumns {
  const { classes, columns } = whole;
  const { eps, epsInside } = epsPlacement(options);
  const records = new Float32Array(classes * RECORD_FLOATS);
  const uniformShare = Math.fround(1 / classes);
  const split = (mean: number) => {
    const offset = mean > 0.5 / classes && mean < 2 / classes ? uniformShare : 0;
    return [mean - offset, offset];
  };
  let intraSum = 0;
  for (let j = 0; j < classes; j++) {
    const a = Math.sqrt(columns.squaresStudent[j] + epsInside);
    const b = Math.sqrt(columns.squaresTeacher[j] + epsInside);
    const D = a * b + eps;
    if (D === 0) throw degenerateError(`eps = ${options.eps}`);
    const r = columns.coMoment[j] / D;
    intraSum += 1 - r;
    const [meanWStudent, offsetStudent] = split(columns.meanStudent[j]);
    const [meanWTeacher, offsetTeacher] = split(columns.meanTeacher[j]);
    const at = j * RECORD_FLOATS;
    records.set([meanWStudent, meanWTeacher, offsetStudent, offsetTeacher], at + FIELD.meanW);
    records.set([columns.coMoment[j], columns.squaresStudent[j], columns.squaresTeacher[j]], at + FIELD.sxy);
    // When a = 0 every centred p of the column is 0 and the second gradient term's limit is 0.
    records.set([r, 1 / D, a > 0 ? (r * (b / a)) / D : 0, 0], at + FIELD.r);
  }
  return { records, terms: composeLoss(options, whole.interSum / whole.rows, intraSum / classes) };
}

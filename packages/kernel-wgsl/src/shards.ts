/**
 * The host side of DIST across shards (core's shards.ts; SPEC.md, "Shards of one batch") for the
 * kernels' column records (ColumnRecord in kernels/common.ts): phase 1 reads a shard's records back
 * into core's float64 statistics, phase 2 turns the merged statistics into the records the gradient
 * kernel reads, with the column correlations' coefficients computed here in float64.
 */
import {
  mergedColumnTerms,
  shardStatistics,
  type DistOptions,
  type DistTerms,
  type ShardStatistics,
  type ShardStatisticsView,
} from '@dist-kd/core';
import { COLUMN_RECORD_BYTES } from './kernels/index.js';

/** float32 slots of one ColumnRecord (kernels/common.ts). */
const RECORD_FLOATS = COLUMN_RECORD_BYTES / 4;
const FIELD = { meanW: 0, meanOffset: 2, invD: 4, k: 5, r: 6, degenerate: 7, sxy: 8, sxx: 9, syy: 10 } as const;

/**
 * Phase 1: a shard's statistics from its column records, as the column-statistics kernel left them for the
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
 * Phase 2: the whole batch's loss, inter and intra from the merged statistics (core's
 * `mergedColumnTerms`, float64), and the column records for the gradient kernel: each column's r,
 * 1/D and r*(b/a)/D, and its mean of p
 * split into meanW + meanOffset the way the row kernel splits p = w + offset, so that the kernel's
 * (w - meanW) + (offset - meanOffset) keeps the small digits of a near-uniform column: there the
 * rows' offsets are about 1/C (a near-uniform softmax row stores w = p - offset, offset = 1/C - a
 * tiny residual), so meanOffset = float32(1/C) makes offset - meanOffset exact and meanW = mean(p) -
 * meanOffset is the small part, rounded once from float64. Elsewhere meanOffset = 0 and meanW is
 * the mean itself (a peaked row's offset is 0). Sigmoid rows have offsets 0, 1/2 or 1 (see
 * row-activation.ts): the column takes the one its mean's range implies. A degenerate merged column (D = 0, only with
 * eps = 0) is the DEGENERATE error, as for a whole batch.
 */
export function columnRecordsFromStatistics(whole: ShardStatisticsView, options: DistOptions): MergedColumns {
  const { classes, columns } = whole;
  const { terms, r, u, v } = mergedColumnTerms(whole, options);
  const records = new Float32Array(classes * RECORD_FLOATS);
  const split = options.activation === 'sigmoid' ? sigmoidSplit : softmaxSplit(classes);
  for (let j = 0; j < classes; j++) {
    const [meanWStudent, offsetStudent] = split(columns.meanStudent[j]);
    const [meanWTeacher, offsetTeacher] = split(columns.meanTeacher[j]);
    const at = j * RECORD_FLOATS;
    records.set([meanWStudent, meanWTeacher], at + FIELD.meanW);
    records.set([offsetStudent, offsetTeacher], at + FIELD.meanOffset);
    records[at + FIELD.sxy] = columns.coMoment[j];
    records[at + FIELD.sxx] = columns.squaresStudent[j];
    records[at + FIELD.syy] = columns.squaresTeacher[j];
    records[at + FIELD.r] = r[j];
    records[at + FIELD.invD] = u[j];
    records[at + FIELD.k] = v[j];
    records[at + FIELD.degenerate] = 0;
  }
  return { records, terms };
}

type MeanSplit = (mean: number) => [meanW: number, meanOffset: number];

/** Softmax: offset float32(1/C) for a column mean within a factor 2 of 1/C (near-uniform rows), else 0. */
function softmaxSplit(classes: number): MeanSplit {
  const uniformShare = Math.fround(1 / classes);
  return (mean) => {
    const offset = mean > uniformShare / 2 && mean < 2 * uniformShare ? uniformShare : 0;
    return [mean - offset, offset];
  };
}

/**
 * Sigmoid: rows kept as p - 1/2 have every p within sigmoid(±1/2) = 1/2 ± 0.122, rows kept as
 * p - 1 every p above 1/2: offset 1/2 for a column mean within 0.122 of 1/2, 1 above, else 0.
 */
const NEAR_HALF_SPREAD = 0.1225;
const sigmoidSplit: MeanSplit = (mean) => {
  const offset = Math.abs(mean - 0.5) < NEAR_HALF_SPREAD ? 0.5 : mean > 0.5 ? 1 : 0;
  return [mean - offset, offset];
};

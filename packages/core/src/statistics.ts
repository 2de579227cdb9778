/**
 * Column statistics of a range of rows, and their exact merge (SPEC.md, "Shards of one batch"): the
 * intra-class term needs, per class j, the count of rows, the means of p[:, j] and q[:, j], their
 * centred sums of squares and their co-moment. Those of two disjoint ranges combine exactly with
 * Chan et al.'s pairwise update, in any order and grouping, so a batch split across threads (or
 * shards) has the statistics of the whole.
 */

/** Per-column statistics of `rows` rows; each array has one entry per class (or more: padding is carried). */
export interface ColumnStatistics {
  rows: number;
  readonly meanStudent: Float64Array;
  readonly meanTeacher: Float64Array;
  /** sum over rows of (p - mean(p))^2, and the same of q */
  readonly squaresStudent: Float64Array;
  readonly squaresTeacher: Float64Array;
  /** sum over rows of (p - mean(p)) * (q - mean(q)) */
  readonly coMoment: Float64Array;
}

/**
 * Merges `part` into `into` (both of the same width), in place: for ranges of m and n rows whose
 * means differ by d, M2 = M2_m + M2_n + d^2 * m * n / (m + n), the co-moment alike, and the mean
 * moves by d * n / (m + n). An empty part changes nothing; merging into an empty one copies.
 */
export function mergeColumnStatistics(into: ColumnStatistics, part: ColumnStatistics): void {
  const m = into.rows;
  const n = part.rows;
  if (n === 0) return;
  const total = m + n;
  const weight = (m * n) / total;
  const share = n / total;
  const width = into.meanStudent.length;
  for (let j = 0; j < width; j++) {
    const dp = part.meanStudent[j] - into.meanStudent[j];
    const dq = part.meanTeacher[j] - into.meanTeacher[j];
    into.squaresStudent[j] += part.squaresStudent[j] + dp * dp * weight;
    into.squaresTeacher[j] += part.squaresTeacher[j] + dq * dq * weight;
    into.coMoment[j] += part.coMoment[j] + dp * dq * weight;
    into.meanStudent[j] += dp * share;
    into.meanTeacher[j] += dq * share;
  }
  into.rows = total;
}

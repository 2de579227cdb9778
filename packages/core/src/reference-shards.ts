/**
 * The float64 reference of DIST across shards (shards.ts): phase 1 from a shard's own rows, phase 2
 * from its rows and the merged statistics, written as plainly as the whole-batch reference, whose
 * pieces it uses. Every backend's shards are checked against the whole batch, and this is how the
 * suite checks itself.
 */
import { allocateGradient, type DistInput, type DistResult } from './input.js';
import { composeLoss, termWeights } from './numerics.js';
import { activateRows, activationBackward, correlation, correlationGradient, correlationOfSums } from './reference.js';
import { checkShardStatisticsFor, shardStatistics, type ShardStatistics } from './shards.js';

/** Phase 1: the shard's sum of 1 - r_i and its columns' means and centred sums, in float64. */
export function referenceShardStatistics(input: DistInput): ShardStatistics {
  const { batch: B, classes: C, options } = input;
  const p = activateRows(input.student, B, C, options);
  const q = activateRows(input.teacher, B, C, options);
  const interSum = p.reduce((sum, pi, i) => sum + (1 - correlation(pi, q[i], options).r), 0);
  const arrays = Array.from({ length: 5 }, () => new Float64Array(C));
  const [meanStudent, meanTeacher, squaresStudent, squaresTeacher, coMoment] = arrays;
  for (let j = 0; j < C && B > 0; j++) {
    for (let i = 0; i < B; i++) {
      meanStudent[j] += p[i][j] / B;
      meanTeacher[j] += q[i][j] / B;
    }
    for (let i = 0; i < B; i++) {
      const x = p[i][j] - meanStudent[j];
      const y = q[i][j] - meanTeacher[j];
      squaresStudent[j] += x * x;
      squaresTeacher[j] += y * y;
      coMoment[j] += x * y;
    }
  }
  return shardStatistics(C, options, B, interSum, { rows: B, meanStudent, meanTeacher, squaresStudent, squaresTeacher, coMoment });
}

/**
 * Phase 2: the whole batch's loss and terms from the merged statistics, and with `input.gradient`
 * the gradient of that loss with respect to this shard's student rows.
 */
export function referenceShardCompute(input: DistInput, merged: ShardStatistics): DistResult {
  const { batch: B, classes: C, options } = input;
  const whole = checkShardStatisticsFor(merged, C, options);
  const { columns } = whole;
  const columnTerms = Array.from({ length: C }, (_, j) =>
    correlationOfSums(columns.coMoment[j], columns.squaresStudent[j], columns.squaresTeacher[j], options),
  );
  const intra = columnTerms.reduce((sum, c) => sum + (1 - c.r), 0) / C;
  const terms = composeLoss(options, whole.interSum / whole.rows, intra);
  if (!input.gradient) return terms;

  const weights = termWeights(options);
  const p = activateRows(input.student, B, C, options);
  const q = activateRows(input.teacher, B, C, options);
  const G = p.map((pi, i) => {
    const rowGradient = correlationGradient(correlation(pi, q[i], options));
    return Float64Array.from({ length: C }, (_, j) => {
      const c = columnTerms[j];
      // d corr_j / d p_ij over the whole batch's column: (yc - r * (b / a) * xc) / D, centred by the
      // merged means; a = 0 (only with eps = 0) has the limit 0 for the second part.
      const ratio = c.a === 0 ? 0 : c.b / c.a;
      const columnGradient = (q[i][j] - columns.meanTeacher[j] - c.r * ratio * (pi[j] - columns.meanStudent[j])) / c.D;
      return -(weights.inter / whole.rows) * rowGradient[j] - (weights.intra / C) * columnGradient;
    });
  });
  const gradient = allocateGradient(input);
  activationBackward(input.student, p, G, options, gradient);
  return { ...terms, gradient };
}

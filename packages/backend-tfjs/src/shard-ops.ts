/**
 * The two phases of DIST across the shards of one batch (SPEC.md, "Shards of one batch"; core's
 * `shards.ts`) as tfjs ops, on any tfjs backend and for both activations: the path wherever the
 * SIMD kernel does not serve (`simd/tfjs-kernel.ts` has the other). The forms are `dist-ops.ts`'s,
 * so that the precision is that of the whole-batch ops:
 * - phase 1 reads O(C) numbers: the shard's sum of 1 - r_i, and per column the mean and the centred
 *   sums of the form that holds the column precisely (p where its values are small, p - centre
 *   where they sit near the centre, as `statistics.ts` chooses); the means go into the statistics
 *   in float64 (centre + mean of p - centre), which keeps the small deviations of near-uniform columns;
 * - phase 2 finishes the columns on the host in float64 from the merged statistics, and runs the
 *   backward of `dist-ops.ts` with the columns centred by the merged means and the inter term's
 *   mean over the whole batch's rows.
 */
import * as tf from '@tensorflow/tfjs';
import { mergedColumnTerms, shardStatistics, type DistOptions, type DistTerms, type ShardStatistics, type ShardStatisticsView } from '@dist-kd/core';
import { columnMean } from './column-mean.js';
import { correlation, distBackward, sigmoidDerivative, sigmoidParts, softmaxParts } from './dist-ops.js';
import { rowSum } from './row-sum.js';
import type { SoftmaxParts } from './statistics.js';

/**
 * Phase 1 as one [7C + 1] tensor to read: the shard's sum of 1 - r_i plus 0 * min(logits) (NaN for
 * any NaN or ±Infinity logit, `finiteProbe`'s rule), then per column for the student and the teacher
 * the mean of its precise form and whether that form is p itself, and the co-moment. The caller
 * owns it; `readStatistics` turns its values into core's statistics.
 */
export function opsStatisticsTensor(student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const batch = student.shape[0];
    const parts = options.activation === 'sigmoid' ? sigmoidParts : softmaxParts;
    const p = parts(student, options.tau);
    const q = parts(teacher, options.tau);
    const rows = correlation({ xy: rowSum(tf.mul(p.centred, q.centred)), xx: rowSum(tf.square(p.centred)), yy: rowSum(tf.square(q.centred)) }, options);
    const interSum = tf.addN([tf.sum(tf.sub(1, rows.r)), tf.mul(tf.min(student), 0), tf.mul(tf.min(teacher), 0)]);
    const ps = ownCentring(p);
    const qs = ownCentring(q);
    const columnSum = (x: tf.Tensor) => tf.mul(columnMean(x), batch);
    return tf.concat([
      tf.reshape(interSum, [1]),
      ...[ps.mean, ps.small, qs.mean, qs.small, columnSum(tf.square(ps.centred)), columnSum(tf.square(qs.centred)), columnSum(tf.mul(ps.centred, qs.centred))].map((x) =>
        tf.reshape(x, [-1]),
      ),
    ]) as tf.Tensor1D;
  });
}

/** Core's statistics from the values of `opsStatisticsTensor` for [rows, classes] logits. */
export function readStatistics(values: Float32Array, rows: number, classes: number, options: DistOptions): ShardStatistics {
  const part = (k: number) => values.subarray(1 + k * classes, 1 + (k + 1) * classes);
  const centre = activationCentre(options, classes);
  // The mean of p: that of the precise form, plus the centre where the form is p - centre.
  const mean = (means: Float32Array, small: Float32Array) => Float64Array.from(means, (m, j) => (small[j] ? m : centre + m));
  return shardStatistics(classes, options, rows, values[0], {
    rows,
    meanStudent: mean(part(0), part(1)),
    meanTeacher: mean(part(2), part(3)),
    squaresStudent: Float64Array.from(part(4)),
    squaresTeacher: Float64Array.from(part(5)),
    coMoment: Float64Array.from(part(6)),
  });
}

/** The whole batch's loss and terms, and its columns' correlation coefficients, from merged statistics (float64). */
export interface WholeColumns extends DistTerms {
  /** dcorr_j/dx = u_j * yc - v_j * xc over the whole column (SPEC.md's gradient), for each class. */
  readonly u: Float64Array;
  readonly v: Float64Array;
}

/** The loss, its terms and each column's gradient coefficients, as core's `mergedColumnTerms` finishes them. */
export function wholeColumns(merged: ShardStatisticsView, options: DistOptions): WholeColumns {
  const { terms, u, v } = mergedColumnTerms(merged, options);
  return { ...terms, u, v };
}

/**
 * Phase 2's gradient in ops: dloss/dstudent of the whole batch's loss for these rows, times
 * `upstream`, with the columns centred by the merged means and finished by `whole`.
 */
export function opsShardGradient(
  student: tf.Tensor2D,
  teacher: tf.Tensor2D,
  merged: ShardStatisticsView,
  whole: WholeColumns,
  options: DistOptions,
  upstream: tf.Tensor | number = 1,
): tf.Tensor {
  return tf.tidy(() => {
    const classes = student.shape[1];
    const parts = options.activation === 'sigmoid' ? sigmoidParts : softmaxParts;
    const p = parts(student, options.tau);
    const q = parts(teacher, options.tau);
    const rows = correlation({ xy: rowSum(tf.mul(p.centred, q.centred)), xx: rowSum(tf.square(p.centred)), yy: rowSum(tf.square(q.centred)) }, options);
    const centre = activationCentre(options, classes);
    const row = (values: Float64Array) => tf.tensor2d(Float32Array.from(values), [1, classes]);
    const saved = {
      p: options.activation === 'sigmoid' ? sigmoidDerivative(student, options.tau) : p.p,
      pc: p.centred,
      qc: q.centred,
      pcc: centredBy(p, merged.columns.meanStudent, centre),
      qcc: centredBy(q, merged.columns.meanTeacher, centre),
      rowU: rows.u,
      rowV: rows.v,
      colU: row(whole.u),
      colV: row(whole.v),
    };
    return distBackward(saved, options, upstream, merged.rows);
  });
}

/** The value every softmax row averages to (1/C), or sigmoid's midpoint (1/2): the column form is p minus it. */
function activationCentre(options: DistOptions, classes: number): number {
  return options.activation === 'sigmoid' ? 0.5 : 1 / classes;
}

/**
 * A column is small when its mean sits below half the centre (`statistics.ts`'s rule): its values
 * are then held precisely by p itself, else by p - centre.
 */
function isSmall(mean: number, centre: number): boolean {
  return mean < 0.5 * centre;
}

/** p with exact 0/1 weights: p itself where `weight` is 1, the column form where it is 0. */
function preciseForm(parts: SoftmaxParts, weight: tf.Tensor): tf.Tensor {
  return tf.add(tf.mul(parts.p, weight), tf.mul(parts.columnForm, tf.sub(1, weight)));
}

/** Phase 1's own columns: the precise form's mean, whether it is p (1) or p - centre (0), and the form centred by its mean. */
function ownCentring(parts: SoftmaxParts): { mean: tf.Tensor; small: tf.Tensor; centred: tf.Tensor } {
  const small = tf.cast(tf.less(columnMean(parts.columnForm), -0.5 * parts.centre), 'float32');
  const precise = preciseForm(parts, small);
  const mean = columnMean(precise);
  return { mean, small, centred: tf.sub(precise, mean) };
}

/**
 * The columns centred by the merged (whole batch's) means: each column's precise form minus its mean
 * in that form, the subtraction of the centre done in float64 before rounding to float32.
 */
function centredBy(parts: SoftmaxParts, means: Float64Array, centre: number): tf.Tensor {
  const classes = means.length;
  const small = Float32Array.from(means, (m) => (isSmall(m, centre) ? 1 : 0));
  const offsets = Float32Array.from(means, (m, j) => (small[j] ? m : m - centre));
  const precise = preciseForm(parts, tf.tensor2d(small, [1, classes]));
  return tf.sub(precise, tf.tensor2d(offsets, [1, classes]));
}

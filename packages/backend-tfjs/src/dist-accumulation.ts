/**
 * A training step whose batch is split into micro-batches (gradient accumulation) and, optionally,
 * across data-parallel workers, with the gradient of the whole batch's objective
 * `rowLoss + distWeight * DIST`: phase 1 runs the model on every micro-batch for its statistics, the
 * statistics are merged (and exchanged with the other workers), phase 2 runs the model again on each
 * micro-batch under the gradient tape with `distShardLoss`, and the gradients add up. Only one
 * micro-batch's activations are alive at a time, which is what accumulation is for.
 */
import * as tf from '@tensorflow/tfjs';
import { DistInputError, mergeShardStatistics, readShardStatistics, type DistTerms, type ShardStatistics } from '@dist-kd/core';
import { distShardLoss, distShardStatistics, distStatisticsTerms, type DistShardOptions } from './dist-shards.js';

export interface DistAccumulation<Batch> {
  /**
   * The student model's logits on a micro-batch ([B, C]); called twice per micro-batch (phase 1,
   * then under the tape), and both calls must give the same logits: the statistics describe the
   * first. A model with dropout or other randomness in training mode needs it seeded per micro-batch.
   */
  studentLogits(batch: Batch): tf.Tensor;
  /** The teacher's logits on a micro-batch, the same shape; constant (no gradient). */
  teacherLogits(batch: Batch): tf.Tensor;
  /**
   * A loss that is a mean over the micro-batch's rows (cross-entropy on the labels), or none. Each
   * micro-batch's is weighted by its share of the whole batch's rows, so that the shares add up to
   * the whole batch's mean.
   */
  rowLoss?(batch: Batch, studentLogits: tf.Tensor): tf.Scalar;
  /** @default 1 */
  readonly distWeight?: number;
  /**
   * Data parallelism: given the merged statistics of this worker's micro-batches, resolves to those
   * of the whole batch (every worker's, merged: an all-gather over MessagePort, WebSocket, ...). The
   * gradients returned are then this worker's part, to be summed over the workers (all-reduce).
   */
  exchange?(statistics: ShardStatistics): Promise<ShardStatistics>;
  /** The variables to differentiate; by default every trainable variable (as `tf.variableGrads`). */
  readonly varList?: tf.Variable[];
  readonly options?: DistShardOptions;
}

export interface AccumulatedGradients {
  /** The gradients of this process's part of the objective, by variable name: the caller owns (and disposes) them. */
  readonly grads: tf.NamedTensorMap;
  /** The whole batch's DIST loss and its unscaled terms, from the merged statistics. */
  readonly dist: DistTerms;
  /** This process's micro-batches' row losses weighted by their shares (the whole batch's mean when there is one process). */
  readonly rowLoss: number;
  /** rowLoss + distWeight * dist.loss: the whole batch's objective when there is one process. */
  readonly loss: number;
  /** The whole batch's merged statistics. */
  readonly statistics: ShardStatistics;
}

/**
 * Gradients of `rowLoss + distWeight * DIST` over a batch given as micro-batches, equal (within
 * float32 rounding) to those of the whole batch in one piece. Apply them with
 * `optimizer.applyGradients(grads)` (after summing them over workers, with `exchange`).
 */
export async function accumulateDistGradients<Batch>(microBatches: readonly Batch[], step: DistAccumulation<Batch>): Promise<AccumulatedGradients> {
  const { distWeight = 1, options = {} } = step;
  if (!Array.isArray(microBatches) || microBatches.length === 0) {
    throw new DistInputError('BAD_INPUT_TYPE', 'accumulateDistGradients needs an array of at least one micro-batch');
  }
  if (typeof distWeight !== 'number' || !Number.isFinite(distWeight) || distWeight < 0) {
    throw new DistInputError('BAD_OPTION', `distWeight must be a finite number >= 0, got ${String(distWeight)}`);
  }
  // Phase 1: each micro-batch's statistics, one forward pass at a time (clones: the callbacks may hand back tensors they own).
  const parts: ShardStatistics[] = [];
  const rows: number[] = [];
  for (const batch of microBatches) {
    const [teacher, student] = tf.tidy(() => [tf.clone(step.teacherLogits(batch)), tf.clone(step.studentLogits(batch))]);
    try {
      rows.push(student.shape.slice(0, -1).reduce((n, extent) => n * extent, 1));
      parts.push(await distShardStatistics(teacher, student, options));
    } finally {
      tf.dispose([teacher, student]);
    }
  }
  const local = mergeShardStatistics(...parts);
  const merged = step.exchange ? await step.exchange(local) : local;
  const whole = readShardStatistics(merged);
  // Phase 2: each micro-batch's gradient of the whole batch's objective, added up.
  const grads: tf.NamedTensorMap = {};
  const rowLosses: tf.Scalar[] = [];
  // An empty micro-batch's gradient is exactly zero, so phase 2 leaves it out (tfjs-wasm's sum over
  // an axis of length 0, in a layer's gradient, reads uninitialised memory). A process with no row at
  // all still returns every variable's gradient, as zeros, for the all-reduce that sums them by name.
  const withRows = rows.flatMap((count, k) => (count > 0 ? [k] : []));
  try {
    for (const k of withRows.length > 0 ? withRows : [0]) {
      const batch = microBatches[k];
      const share = rows[k] / whole.rows;
      const { value, grads: part } = tf.variableGrads(() => {
        const student = step.studentLogits(batch);
        const dist = tf.mul(distShardLoss(step.teacherLogits(batch), student, merged, options), distWeight);
        // An empty micro-batch adds no row loss (the mean over no rows would be NaN).
        if (!step.rowLoss || rows[k] === 0) return dist as tf.Scalar;
        const rowLoss = tf.mul(step.rowLoss(batch, student), share) as tf.Scalar;
        // The tape's scope disposes everything but its value: the share of the row loss is kept to be read.
        rowLosses.push(tf.keep(rowLoss));
        return tf.add(rowLoss, dist) as tf.Scalar;
      }, step.varList);
      value.dispose();
      if (rows[k] === 0) {
        for (const [name, gradient] of Object.entries(part)) {
          part[name] = tf.zerosLike(gradient);
          gradient.dispose();
        }
      }
      for (const [name, gradient] of Object.entries(part)) {
        const sum = grads[name];
        grads[name] = sum ? tf.add(sum, gradient) : gradient;
        if (sum) tf.dispose([sum, gradient]);
      }
    }
    const rowLoss = (await Promise.all(rowLosses.map((loss) => loss.data()))).reduce((total, values) => total + values[0], 0);
    const dist = distStatisticsTerms(merged, options);
    return { grads, dist, rowLoss, loss: rowLoss + distWeight * dist.loss, statistics: merged };
  } catch (error) {
    tf.dispose(Object.values(grads));
    throw error;
  } finally {
    tf.dispose(rowLosses);
  }
}

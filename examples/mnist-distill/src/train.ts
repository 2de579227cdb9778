import * as tf from '@tensorflow/tfjs';
import type { Batch, Objective } from './losses.js';
import { IMAGE_SIZE, NUM_CLASSES, type DigitSet } from './mnist.js';
import type { ProgressTask } from './progress.js';
import { createRandom, permutation } from './random.js';

export interface TrainingSchedule {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
}

/** What one epoch produced: the mean training objective and the accuracy on the held-out set. */
export interface EpochRecord {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly validationAccuracy: number;
}

/** A data set as tensors, kept on the backend for the whole run. */
export interface TensorSet {
  readonly images: tf.Tensor2D;
  readonly oneHotLabels: tf.Tensor2D;
  readonly labels: tf.Tensor1D;
  readonly teacherLogits?: tf.Tensor2D;
  readonly count: number;
}

export function toTensors(set: DigitSet, teacherLogits?: tf.Tensor2D): TensorSet {
  return tf.tidy(() => {
    const labels = tf.tensor1d(set.labels, 'int32');
    return {
      images: tf.tensor2d(set.images, [set.count, IMAGE_SIZE]),
      labels,
      oneHotLabels: tf.oneHot(labels, NUM_CLASSES).toFloat() as tf.Tensor2D,
      ...(teacherLogits ? { teacherLogits } : {}),
      count: set.count,
    };
  });
}

export function disposeTensors(set: TensorSet): void {
  tf.dispose([set.images, set.oneHotLabels, set.labels, ...(set.teacherLogits ? [set.teacherLogits] : [])]);
}

/**
 * Mini-batch Adam on `objective`. The batch order of each epoch is a permutation drawn from a PRNG
 * seeded with `shuffleSeed`, so a run repeats exactly. The last partial batch is kept.
 */
export async function train(
  model: tf.LayersModel,
  data: TensorSet,
  validation: TensorSet,
  objective: Objective,
  schedule: TrainingSchedule,
  shuffleSeed: number,
  progress: ProgressTask,
): Promise<EpochRecord[]> {
  const optimizer = tf.train.adam(schedule.learningRate);
  const random = createRandom(shuffleSeed);
  const history: EpochRecord[] = [];
  try {
    for (let epoch = 1; epoch <= schedule.epochs; epoch++) {
      const order = permutation(data.count, random);
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start < data.count; start += schedule.batchSize) {
        const indices = tf.tensor1d(order.subarray(start, start + schedule.batchSize), 'int32');
        const batch = gatherBatch(data, indices);
        const cost = optimizer.minimize(() => objective(batch, model.apply(batch.images) as tf.Tensor2D), true);
        lossSum += (await cost!.data())[0];
        batches++;
        tf.dispose([indices, cost!, batch.images, batch.oneHotLabels, ...(batch.teacherLogits ? [batch.teacherLogits] : [])]);
        progress.advance(1, `epoch ${epoch}/${schedule.epochs} loss ${(lossSum / batches).toFixed(4)}`);
      }
      const validationAccuracy = await accuracy(model, validation);
      history.push({ epoch, trainLoss: lossSum / batches, validationAccuracy });
    }
    const last = history[history.length - 1];
    progress.finish(`loss ${last.trainLoss.toFixed(4)}, validation accuracy ${(last.validationAccuracy * 100).toFixed(2)}%`);
  } finally {
    optimizer.dispose();
  }
  return history;
}

function gatherBatch(data: TensorSet, indices: tf.Tensor1D): Batch {
  return tf.tidy(() => ({
    images: tf.gather(data.images, indices) as tf.Tensor2D,
    oneHotLabels: tf.gather(data.oneHotLabels, indices) as tf.Tensor2D,
    ...(data.teacherLogits ? { teacherLogits: tf.gather(data.teacherLogits, indices) as tf.Tensor2D } : {}),
  }));
}

const EVAL_BATCH = 1000;

/** The model's logits on every sample of `images`, computed in chunks to bound memory. */
export function predictLogits(model: tf.LayersModel, images: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const count = images.shape[0];
    const chunks: tf.Tensor2D[] = [];
    for (let start = 0; start < count; start += EVAL_BATCH) {
      const size = Math.min(EVAL_BATCH, count - start);
      chunks.push(model.predict(images.slice([start, 0], [size, IMAGE_SIZE])) as tf.Tensor2D);
    }
    return tf.concat(chunks, 0);
  });
}

/** Fraction of samples whose arg-max logit is the true label. */
export async function accuracy(model: tf.LayersModel, set: TensorSet): Promise<number> {
  const correct = tf.tidy(() => tf.sum(tf.equal(tf.argMax(predictLogits(model, set.images), 1), set.labels)));
  const count = (await correct.data())[0];
  correct.dispose();
  return count / set.count;
}

/**
 * What the data-parallel workers (`data-parallel-worker.ts`) and the single-process reference
 * (`data-parallel.ts`) share: the step's data layout, the student and its optimizer, the two
 * per-worker objectives, and an all-gather over MessagePorts.
 */
import * as tf from '@tensorflow/tfjs';
import { accumulateDistGradients, distLocalLoss, mergeShardStatistics, type DistOptions, type ShardStatistics } from '@dist-kd/backend-tfjs';
import { crossEntropy, type Batch } from './losses.js';
import { IMAGE_SIZE, NUM_CLASSES } from './mnist.js';
import type { MessagePort } from 'node:worker_threads';

/**
 * How a worker computes DIST on its rows: `exact`, the whole batch's DIST from the merged statistics
 * of every worker (backend-tfjs's shards); `local`, DIST of its own rows alone, as the official code
 * does under data parallelism.
 */
export type ShardMode = 'exact' | 'local';

/** The rows of every step for one worker (or the whole batch): `steps` blocks of `rows` rows each. */
export interface StepRows {
  readonly rows: number;
  readonly images: Float32Array;
  readonly oneHotLabels: Float32Array;
  readonly teacherLogits: Float32Array;
}

/** Step `step`'s batch as tensors; the caller disposes them. */
export function stepBatch(data: StepRows, step: number): Batch {
  const { rows } = data;
  const slice = (values: Float32Array, width: number) => values.subarray(step * rows * width, (step + 1) * rows * width);
  return {
    images: tf.tensor2d(slice(data.images, IMAGE_SIZE), [rows, IMAGE_SIZE]),
    oneHotLabels: tf.tensor2d(slice(data.oneHotLabels, NUM_CLASSES), [rows, NUM_CLASSES]),
    teacherLogits: tf.tensor2d(slice(data.teacherLogits, NUM_CLASSES), [rows, NUM_CLASSES]),
  };
}

export function disposeBatch(batch: Batch): void {
  tf.dispose([batch.images, batch.oneHotLabels, ...(batch.teacherLogits ? [batch.teacherLogits] : [])]);
}

/** A worker's part of one step: gradients by variable name (summed over workers by the caller) and its share of the loss. */
export interface WorkerPart {
  readonly grads: tf.NamedTensorMap;
  /** Its rows' share (rows / batch rows) of the cross-entropy, plus, in `local` mode, of its own DIST times the weight. */
  readonly lossShare: number;
  /** `exact` mode: the whole batch's DIST, the same on every worker. */
  readonly dist?: number;
}

/**
 * One worker's gradients of CE + weight * DIST for its rows of a batch of `batchRows` rows. In
 * `exact` mode `exchange` turns its statistics into the whole batch's (an all-gather); in `local`
 * mode nothing is exchanged before the gradients.
 */
export async function workerPart(
  model: tf.LayersModel,
  batch: Batch,
  batchRows: number,
  mode: ShardMode,
  distWeight: number,
  options: Partial<DistOptions>,
  exchange: (statistics: ShardStatistics) => Promise<ShardStatistics>,
): Promise<WorkerPart> {
  const share = batch.images.shape[0] / batchRows;
  if (mode === 'exact') {
    const step = await accumulateDistGradients([batch], {
      studentLogits: (b) => model.apply(b.images) as tf.Tensor2D,
      teacherLogits: (b) => b.teacherLogits!,
      rowLoss: (b, logits) => crossEntropy(b, logits as tf.Tensor2D),
      distWeight,
      exchange,
      options,
    });
    return { grads: step.grads, lossShare: step.rowLoss, dist: step.dist.loss };
  }
  const { value, grads } = tf.variableGrads(() =>
    tf.tidy(() => {
      const logits = model.apply(batch.images) as tf.Tensor2D;
      const local = tf.add(crossEntropy(batch, logits), tf.mul(distLocalLoss(batch.teacherLogits!, logits, options), distWeight));
      return tf.mul(local, share) as tf.Scalar;
    }),
  );
  const lossShare = (await value.data())[0];
  value.dispose();
  return { grads, lossShare };
}

/** Gradients as one flat array, variables in name order (the same on every worker), and back. */
export function flatten(grads: tf.NamedTensorMap): Float32Array {
  const names = Object.keys(grads).sort();
  const parts = names.map((name) => grads[name].dataSync() as Float32Array);
  const flat = new Float32Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    flat.set(part, at);
    at += part.length;
  }
  return flat;
}

export function unflatten(flat: Float32Array, like: tf.NamedTensorMap): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  let at = 0;
  for (const name of Object.keys(like).sort()) {
    const { shape, size } = like[name];
    out[name] = tf.tensor(flat.subarray(at, at + size), shape);
    at += size;
  }
  return out;
}

/** The model's weights as one flat array, in layer order. */
export function flatWeights(model: tf.LayersModel): Float32Array {
  const parts = model.getWeights().map((weight) => weight.dataSync() as Float32Array);
  return Float32Array.from(parts.flatMap((part) => Array.from(part)));
}

/** The workers' values summed in rank order, so that every worker gets the same float32 sum. */
export function sumInRankOrder(values: readonly Float32Array[]): Float32Array {
  const sum = new Float32Array(values[0].length);
  for (const part of values) for (let k = 0; k < sum.length; k++) sum[k] += part[k];
  return sum;
}

/** One MessagePort to each other worker; messages on a port arrive in order, so each receive takes the next. */
export class Peers {
  private readonly inbox: unknown[][];
  private readonly waiting: ((message: unknown) => void)[][];

  constructor(
    readonly rank: number,
    private readonly ports: readonly (MessagePort | undefined)[],
  ) {
    this.inbox = ports.map(() => []);
    this.waiting = ports.map(() => []);
    ports.forEach((port, peer) =>
      port?.on('message', (message: unknown) => {
        const resolve = this.waiting[peer].shift();
        if (resolve) resolve(message);
        else this.inbox[peer].push(message);
      }),
    );
  }

  /** Everyone's value (this worker's at its own rank), in rank order. */
  async allGather<T>(mine: T): Promise<T[]> {
    this.ports.forEach((port) => port?.postMessage(mine));
    return Promise.all(this.ports.map((port, peer) => (port ? (this.receive(peer) as Promise<T>) : Promise.resolve(mine))));
  }

  /** Statistics of every worker merged in rank order: the whole batch's, the same on every worker. */
  async mergeStatistics(mine: ShardStatistics): Promise<ShardStatistics> {
    return mergeShardStatistics(...(await this.allGather(mine)));
  }

  close(): void {
    this.ports.forEach((port) => port?.close());
  }

  private receive(peer: number): Promise<unknown> {
    const queued = this.inbox[peer];
    if (queued.length > 0) return Promise.resolve(queued.shift());
    return new Promise((resolve) => this.waiting[peer].push(resolve));
  }
}

/**
 * One data-parallel worker (a Node worker thread): the same student as every other worker, its rows
 * of every batch, and a MessagePort to each other worker. Each step it computes its part of the
 * gradient (after exchanging DIST statistics in `exact` mode), all-reduces the gradients over the
 * ports (every worker sums them in rank order, so all apply the same update), and takes one Adam
 * step. It reports each step's loss, the first step's gradient and its final weights to the parent.
 */
import * as tf from '@tensorflow/tfjs';
import { useTfjsPlatform, type DistOptions } from '@dist-kd/backend-tfjs';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { disposeBatch, flatWeights, flatten, Peers, stepBatch, sumInRankOrder, unflatten, workerPart, type ShardMode, type StepRows } from './data-parallel-step.js';
import { buildMlp } from './models.js';

export interface WorkerStart {
  readonly rank: number;
  readonly mode: ShardMode;
  readonly steps: number;
  readonly batchRows: number;
  readonly hidden: readonly number[];
  readonly seed: number;
  readonly learningRate: number;
  readonly distWeight: number;
  readonly distOptions: Partial<DistOptions>;
  readonly data: StepRows;
  /** ports[peer] reaches worker `peer`; undefined at this worker's own rank. */
  readonly ports: readonly (MessagePort | undefined)[];
}

/** What a worker reports to its parent. */
export type WorkerReport =
  | { readonly kind: 'step'; readonly rank: number; readonly step: number; readonly loss: number; readonly gradient?: Float32Array }
  | { readonly kind: 'done'; readonly rank: number; readonly weights: Float32Array; readonly seconds: number };

async function main(start: WorkerStart): Promise<void> {
  const startedAt = performance.now();
  await useTfjsPlatform('wasm');
  const peers = new Peers(start.rank, start.ports);
  const model = buildMlp(start.hidden, start.seed);
  const optimizer: tf.Optimizer = tf.train.adam(start.learningRate);
  for (let step = 0; step < start.steps; step++) {
    const batch = stepBatch(start.data, step);
    const part = await workerPart(model, batch, start.batchRows, start.mode, start.distWeight, start.distOptions, (mine) => peers.mergeStatistics(mine));
    disposeBatch(batch);
    // The all-reduce: every worker's gradient and loss share, summed in rank order.
    const mine = flatten(part.grads);
    const everyone = await peers.allGather({ gradient: mine, lossShare: part.lossShare });
    const gradient = sumInRankOrder(everyone.map((p) => p.gradient));
    const loss = everyone.reduce((total, p) => total + p.lossShare, 0) + (part.dist === undefined ? 0 : start.distWeight * part.dist);
    const summed = unflatten(gradient, part.grads);
    optimizer.applyGradients(summed);
    tf.dispose([...Object.values(summed), ...Object.values(part.grads)]);
    report({ kind: 'step', rank: start.rank, step, loss, ...(step === 0 ? { gradient } : {}) });
  }
  report({ kind: 'done', rank: start.rank, weights: flatWeights(model), seconds: (performance.now() - startedAt) / 1000 });
  optimizer.dispose();
  model.dispose();
  peers.close();
}

function report(message: WorkerReport): void {
  parentPort!.postMessage(message);
}

// A rejection is unhandled, which ends the worker with an 'error' event that the parent listens to.
void main(workerData as WorkerStart);

/**
 * `model.fit` on a GPU backend (tfjs-webgpu in Node, Dawn on SwiftShader): tfjs-layers reads the
 * loss only as an epoch's mean, so the loss's own on-read check never runs. The loss function of
 * `distLossFunction` checks each batch's loss asynchronously instead: a bad batch makes the next
 * batch's call (and so `fit`) throw the typed error, and `settle()` reports the last batches.
 */
import './swiftshader-fallback.js';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { distillationFit, distLoss, distLossFunction, useTfjsPlatform } from '../src/index.js';
import { randomLogits } from './helpers.js';

beforeAll(async () => {
  await useTfjsPlatform('webgpu');
}, 120_000);

const [B, C, FEATURES] = [8, 5, 3];

function studentModel(): tf.LayersModel {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [FEATURES], units: C })] });
  return model;
}

/** Teacher logits for `batches` batches of B rows, with a NaN in batch `bad` (row 2, class 3). */
function data(batches: number, bad: number | undefined): { inputs: tf.Tensor2D; teacher: tf.Tensor2D } {
  const teacher = randomLogits(batches * B, C, 11);
  if (bad !== undefined) teacher[(bad * B + 2) * C + 3] = Number.NaN;
  return {
    inputs: tf.tensor2d(randomLogits(batches * B, FEATURES, 12), [batches * B, FEATURES]),
    teacher: tf.tensor2d(teacher, [batches * B, C]),
  };
}

async function errorOf(run: () => Promise<unknown>): Promise<{ code?: string; message: string } | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    return error as { code?: string; message: string };
  }
}

describe('model.fit with distLossFunction on tfjs webgpu', { timeout: 120_000 }, () => {
  it('a bad batch stops fit with NON_FINITE, naming the teacher position, a few batches later', async () => {
    // The check's read finishes when tfjs yields to the event loop: each batch with 'batch' (the
    // default yields every 125 ms). The callback's pause stands for a loop's other work between
    // batches, so that a slow machine's read still lands within the epoch.
    const { inputs, teacher } = data(12, 1);
    const model = studentModel();
    const loss = distLossFunction();
    model.compile({ optimizer: tf.train.sgd(0.01), loss });
    const batchesRun: number[] = [];
    const error = await errorOf(() =>
      model.fit(inputs, teacher, {
        batchSize: B,
        epochs: 1,
        shuffle: false,
        yieldEvery: 'batch',
        callbacks: {
          onBatchEnd: async (batch) => {
            batchesRun.push(batch);
            await new Promise((resolve) => setTimeout(resolve, 50));
          },
        },
      }),
    );
    expect(error).toMatchObject({ code: 'NON_FINITE' });
    expect(error!.message).toMatch(/teacher\[2, 3\]/);
    expect(batchesRun.length).toBeLessThan(12);
    tf.dispose([inputs, teacher]);
    model.dispose();
  });

  it('settle() reports a bad last batch, and resolves after a clean run', async () => {
    const bad = data(2, 1);
    const model = studentModel();
    const loss = distLossFunction();
    model.compile({ optimizer: tf.train.sgd(0.01), loss });
    await model.fit(bad.inputs, bad.teacher, { batchSize: B, epochs: 1, shuffle: false });
    expect(await errorOf(() => loss.settle())).toMatchObject({ code: 'NON_FINITE' });
    // Reported once: the same function trains a fresh model (the NaN reached this one's weights).
    const clean = data(2, undefined);
    const fresh = studentModel();
    fresh.compile({ optimizer: tf.train.sgd(0.01), loss });
    await fresh.fit(clean.inputs, clean.teacher, { batchSize: B, epochs: 1, shuffle: false });
    fresh.dispose();
    await expect(loss.settle()).resolves.toBeUndefined();
    tf.dispose([bad.inputs, bad.teacher, clean.inputs, clean.teacher]);
    model.dispose();
  });

  it('keeps no tensor once settled', async () => {
    const { inputs, teacher } = data(3, undefined);
    const model = studentModel();
    const loss = distLossFunction();
    model.compile({ optimizer: tf.train.sgd(0.01), loss });
    await model.fit(inputs, teacher, { batchSize: B, epochs: 1, shuffle: false });
    await loss.settle();
    const before = tf.memory().numTensors;
    await model.fit(inputs, teacher, { batchSize: B, epochs: 2, shuffle: false });
    await loss.settle();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([inputs, teacher]);
    model.dispose();
  });

  it('distillationFit reports a bad teacher batch the same way', async () => {
    const { inputs, teacher } = data(2, 1);
    const fit = distillationFit(studentModel(), { weight: 2 });
    fit.model.compile({ optimizer: tf.train.sgd(0.01), loss: fit.loss });
    const labels = tf.tensor1d(Array.from({ length: 2 * B }, (_, k) => k % C), 'int32');
    const targets = fit.targets(labels, teacher);
    await fit.model.fit(inputs, targets, { batchSize: B, epochs: 1, shuffle: false });
    expect(await errorOf(() => fit.settle())).toMatchObject({ code: 'NON_FINITE', message: expect.stringMatching(/teacher\[2, 3\]/) });
    tf.dispose([inputs, teacher, labels, ...targets]);
    fit.model.dispose();
  });
});

describe('a mask on tfjs webgpu', () => {
  it('is taken as an array, and a mask tensor (no synchronous read there) is refused with BAD_MASK', async () => {
    const teacher = tf.tensor2d(randomLogits(B, C, 21), [B, C]);
    const student = tf.tensor2d(randomLogits(B, C, 22), [B, C]);
    const keep = [1, 1, 0, 1, 1, 0, 1, 1];
    const masked = distLoss(teacher, student, { mask: keep });
    const kept = keep.flatMap((k, row) => (k ? [row] : []));
    const sub = distLoss(tf.gather(teacher, kept), tf.gather(student, kept));
    expect((await masked.data())[0]).toBeCloseTo((await sub.data())[0], 5);
    const tensorMask = tf.tensor1d(keep);
    expect(() => distLoss(teacher, student, { mask: tensorMask })).toThrow(expect.objectContaining({ code: 'BAD_MASK', message: expect.stringMatching(/await/) }));
    tf.dispose([teacher, student, masked, sub, tensorMask]);
  });
});

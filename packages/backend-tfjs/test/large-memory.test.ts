/**
 * Calls whose working memory passes 2 GiB, where addresses no longer fit a signed 32-bit integer:
 * once the host code shifted them (`address >> 2`), which turned them negative and returned a
 * garbage gradient with a correct loss. Checked against the same kernel in another host (its own
 * memory, laid out by @dist-kd/kernel-wasm's allocator) and against two exact properties of the
 * gradient: each row sums to zero (the softmax backward) and its size is that of the reference's at
 * a smaller batch.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '@dist-kd/core';
import { ParallelSimdKernel } from '@dist-kd/kernel-wasm';
import { distLoss, useTfjsPlatform } from '../src/index.js';
import { randomLogits } from './helpers.js';

const TIMEOUT_MS = 240_000;

/** The gradient of the same logits from the kernel in a memory of its own, on the calling thread. */
function ownHostGradient(student: Float32Array, teacher: Float32Array, batch: number, classes: number): Float32Array {
  const kernel = new ParallelSimdKernel({ threads: 1, owner: 'test' });
  try {
    const bytes = ParallelSimdKernel.matrixBytes(batch, classes);
    const [s, t, g] = [kernel.allocate(bytes)!, kernel.allocate(bytes)!, kernel.allocate(bytes)!];
    kernel.write(student, batch, classes, s);
    kernel.write(teacher, batch, classes, t);
    kernel.run({ batch, classes }, s, t, g, resolveOptions({}));
    const gradient = new Float32Array(batch * classes);
    kernel.read(g, batch, classes, gradient);
    return gradient;
  } finally {
    kernel.dispose();
  }
}

function expectSameGradient(got: Float32Array, expected: Float32Array, classes: number): void {
  let worst = 0;
  let largest = 0;
  for (let k = 0; k < expected.length; k++) {
    worst = Math.max(worst, Math.abs(got[k] - expected[k]));
    largest = Math.max(largest, Math.abs(expected[k]));
  }
  expect(largest).toBeGreaterThan(0);
  expect(largest).toBeLessThan(1e-3);
  expect(worst).toBeLessThanOrEqual(1e-5 * largest);
  // Rows of the softmax backward sum to zero: p * (G - sum(p * G)) summed over the row.
  for (const row of [0, Math.floor(expected.length / classes / 2), expected.length / classes - 1]) {
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += got[row * classes + j];
    expect(Math.abs(sum)).toBeLessThan(1e-3 * largest * Math.sqrt(classes));
  }
}

describe.each([
  // A GPT-2 vocabulary: classes not a multiple of 4, so the kernel works on padded copies.
  ['wasm', 1300, 50257],
  ['cpu', 3600, 25001],
])('the SIMD kernel past 2 GiB of working memory on tfjs-%s', (platform, batch, classes) => {
  afterAll(() => tf.disposeVariables());
  it(`gives the gradient the kernel gives in its own memory, at ${batch}x${classes}`, async () => {
    await useTfjsPlatform(platform as 'wasm' | 'cpu');
    const student = randomLogits(batch, classes, 5);
    const teacher = randomLogits(batch, classes, 6);
    const expected = ownHostGradient(student, teacher, batch, classes);
    const [s, t] = [tf.tensor2d(student, [batch, classes]), tf.tensor2d(teacher, [batch, classes])];
    const gradient = tf.grad((x: tf.Tensor) => distLoss(t, x as tf.Tensor2D))(s);
    const values = (await gradient.data()) as Float32Array;
    tf.dispose([s, t, gradient]);
    expectSameGradient(values, expected, classes);
  }, TIMEOUT_MS);
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { maskFromLabels, referenceDist } from '@dist-kd/core';
import { runsDistKernel } from '../src/dist-pass.js';
import { createBackend, distLoss, useTfjsPlatform } from '../src/index.js';
import { randomLogits, relativeError } from './helpers.js';

describe('distLoss with masks, dense NHWC logits and the sigmoid activation', () => {
  beforeAll(async () => {
    await useTfjsPlatform('wasm');
  });

  const [N, H, W, C] = [2, 3, 2, 7];
  const rows = N * H * W;
  const student = randomLogits(rows, C, 3, 3);
  const teacher = randomLogits(rows, C, 5, 3);
  const labels = Array.from({ length: rows }, (_, k) => (k % 4 === 2 ? 255 : k % C));
  const mask = maskFromLabels(labels);

  for (const activation of ['softmax', 'sigmoid'] as const) {
    it(`NHWC logits with a pixel mask equal the reference on the kept rows (${activation})`, () => {
      const options = { tau: 2, activation };
      const expected = referenceDist({ student, teacher, shape: [rows, C], mask, options, gradient: true });
      const s = tf.tensor4d(student, [N, H, W, C]);
      const t = tf.tensor4d(teacher, [N, H, W, C]);
      // A bool tensor from the labels, as the package README writes it.
      const labelTensor = tf.tensor3d(labels, [N, H, W], 'int32');
      const maskTensor = tf.notEqual(labelTensor, 255);
      const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => distLoss(t, x, { ...options, mask: maskTensor }))(s);
      expect(grad.shape).toEqual([N, H, W, C]);
      expect(Math.abs(value.dataSync()[0] - expected.loss) / expected.loss).toBeLessThan(2e-5);
      const gradient = grad.dataSync();
      expect(relativeError(gradient, expected.gradient!)).toBeLessThan(2e-4);
      // Exactly 0 on every ignored pixel, not merely small.
      mask.forEach((keep, i) => {
        if (!keep) expect([...gradient.subarray(i * C, (i + 1) * C)]).toEqual(new Array(C).fill(0));
      });
      tf.dispose([s, t, labelTensor, maskTensor, value, grad]);
    });
  }

  it('gives 0 and a zero gradient when nothing is kept, and rejects a mask of the wrong shape or values', () => {
    const s = tf.tensor2d(student, [rows, C]);
    const t = tf.tensor2d(teacher, [rows, C]);
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => distLoss(t, x, { mask: new Uint8Array(rows) }))(s);
    expect(value.dataSync()[0]).toBe(0);
    expect(grad.dataSync().every((g) => g === 0)).toBe(true);
    expect(() => distLoss(t, s, { mask: tf.ones([rows - 1]) })).toThrow(expect.objectContaining({ code: 'BAD_MASK' }));
    expect(() => distLoss(t, s, { mask: new Array(rows).fill(2) })).toThrow(expect.objectContaining({ code: 'BAD_MASK' }));
    tf.dispose([s, t, value, grad]);
  });

  it('tfjs-wasm and tfjs-cpu compute sigmoid in the SIMD kernel', async () => {
    const options = { activation: 'sigmoid' as const, tau: 1, beta: 1, gamma: 1 };
    const expected = referenceDist({ student, teacher, shape: [rows, C], options, gradient: true });
    for (const variant of ['wasm', 'cpu'] as const) {
      expect(runsDistKernel('auto', variant, options)).toBe(true);
      const backend = createBackend({ variant });
      const result = await backend.compute({ student, teacher, shape: [rows, C], options, gradient: true });
      expect(Math.abs(result.loss - expected.loss)).toBeLessThan(1e-6 * expected.loss);
      expect(relativeError(result.gradient!, expected.gradient!)).toBeLessThan(1e-5);
      await backend.dispose();
    }
  });
});

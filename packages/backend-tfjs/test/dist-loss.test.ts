import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceDist } from '@dist-kd/core';
import { distLoss, useTfjsPlatform } from '../src/index.js';
import { cases, randomLogits, reference, relativeError, toTensor } from './helpers.js';

for (const platform of ['wasm', 'cpu'] as const) {
  describe(`distLoss on tfjs ${platform}`, () => {
    beforeAll(async () => {
      await useTfjsPlatform(platform);
    });

    for (const c of cases()) {
      it(`matches the float64 reference: ${c.name}`, () => {
        const expected = reference(c);
        const teacher = toTensor(c.teacher, c.shape);
        const student = toTensor(c.student, c.shape);
        const { value, grad } = tf.valueAndGrad((s: tf.Tensor) => distLoss(teacher, s, c.options))(student);
        const scale = Math.max(1, Math.abs(expected.loss));
        expect(Math.abs(value.dataSync()[0] - expected.loss) / scale).toBeLessThan(2e-5);
        expect(relativeError(grad.dataSync(), expected.gradient)).toBeLessThan(2e-4);
        tf.dispose([teacher, student, value, grad]);
      });
    }
  });
}

describe('distLoss gradient', () => {
  beforeAll(async () => {
    await useTfjsPlatform('wasm');
  });

  it('agrees with central finite differences of the float64 loss', () => {
    const [B, C] = [4, 6];
    const s = randomLogits(B, C, 3);
    const t = randomLogits(B, C, 4);
    const student = tf.tensor2d(s, [B, C]);
    const teacher = tf.tensor2d(t, [B, C]);
    const grad = tf.grad((x: tf.Tensor) => distLoss(teacher, x))(student);
    const analytic = grad.dataSync();
    const h = 1e-5;
    const lossAt = (values: Float64Array) => referenceDist({ student: values, teacher: Float64Array.from(t), shape: [B, C] }).loss;
    for (let k = 0; k < B * C; k++) {
      const plus = Float64Array.from(s);
      const minus = Float64Array.from(s);
      plus[k] += h;
      minus[k] -= h;
      const numeric = (lossAt(plus) - lossAt(minus)) / (2 * h);
      expect(Math.abs(analytic[k] - numeric)).toBeLessThan(1e-4 * Math.max(1, Math.abs(numeric)));
    }
    tf.dispose([student, teacher, grad]);
  });

  it('scales with the upstream gradient (chain rule through customGrad)', () => {
    const student = tf.tensor2d(randomLogits(5, 7, 1), [5, 7]);
    const teacher = tf.tensor2d(randomLogits(5, 7, 2), [5, 7]);
    const once = tf.grad((x: tf.Tensor) => distLoss(teacher, x))(student);
    const thrice = tf.grad((x: tf.Tensor) => tf.mul(distLoss(teacher, x), 3))(student);
    expect(relativeError(thrice.dataSync(), Array.from(once.dataSync(), (g) => 3 * g))).toBeLessThan(1e-6);
    tf.dispose([student, teacher, once, thrice]);
  });

  it('uses the analytic backward, not autodiff through the forward ops', async () => {
    const student = tf.tensor2d(randomLogits(8, 10, 1), [8, 10]);
    const teacher = tf.tensor2d(randomLogits(8, 10, 2), [8, 10]);
    const kernelsOf = async (implementation: 'auto' | 'ops') => {
      const profile = await tf.profile(() => {
        tf.grad((x: tf.Tensor) => distLoss(teacher, x, { validate: false, implementation }))(student).dispose();
      });
      return profile.kernels.map((k) => k.name);
    };
    // The SIMD kernel computes the gradient with the loss; the backward only scales it. ("forward"
    // is tf.customGrad's own record.)
    const simd = await kernelsOf('auto');
    expect(simd).toContain('DistKdDist');
    expect(simd.filter((name) => !['forward', 'DistKdDist', 'Identity', 'Multiply', 'Fill', 'OnesLike'].includes(name))).toEqual([]);
    // Autodiff through the fused ops would run the elu, softmax and sqrt gradients.
    const ops = await kernelsOf('ops');
    expect(ops).toContain('Elu');
    expect(ops).not.toContain('EluGrad');
    expect(ops.filter((name) => name === 'Softmax')).toHaveLength(2);
    tf.dispose([student, teacher]);
  });

  it('gives the teacher no gradient', () => {
    const student = tf.tensor2d(randomLogits(4, 5, 1), [4, 5]);
    const teacher = tf.variable(tf.tensor2d(randomLogits(4, 5, 2), [4, 5]));
    expect(() => tf.variableGrads(() => distLoss(teacher, student), [teacher])).toThrow(/Cannot find a connection/);
    tf.dispose([student, teacher]);
  });
});

import { useTfjsPlatform } from '@dist-kd/backend-tfjs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy, hintonKd, withDistillation } from '../src/losses.js';

beforeAll(async () => {
  await useTfjsPlatform('wasm');
});

function softmax(row: number[], temperature: number): number[] {
  const scaled = row.map((v) => v / temperature);
  const max = Math.max(...scaled);
  const exps = scaled.map((v) => Math.exp(v - max));
  const total = exps.reduce((s, v) => s + v, 0);
  return exps.map((v) => v / total);
}

describe('classic KD (Hinton)', () => {
  const teacher = [[2, -1, 0.5], [0, 3, -2]];
  const student = [[1, 0, 0], [-1, 0.5, 2]];

  it('is T^2 times the batch mean of KL(teacher || student) at temperature T', async () => {
    const temperature = 4;
    const expected =
      (temperature ** 2 *
        teacher.reduce((sum, row, i) => {
          const q = softmax(row, temperature);
          const p = softmax(student[i], temperature);
          return sum + q.reduce((kl, qk, k) => kl + qk * Math.log(qk / p[k]), 0);
        }, 0)) /
      teacher.length;
    const loss = hintonKd(tf.tensor2d(teacher), tf.tensor2d(student), temperature);
    expect((await loss.data())[0]).toBeCloseTo(expected, 5);
  });

  it('is zero when the student copies the teacher', async () => {
    const loss = hintonKd(tf.tensor2d(teacher), tf.tensor2d(teacher), 4);
    expect(Math.abs((await loss.data())[0])).toBeLessThan(1e-6);
  });
});

describe('withDistillation', () => {
  it('adds the weighted term to the cross-entropy and insists on teacher logits', async () => {
    const batch = {
      images: tf.zeros([2, 1]) as tf.Tensor2D,
      oneHotLabels: tf.tensor2d([[1, 0], [0, 1]]),
      teacherLogits: tf.tensor2d([[1, 0], [0, 1]]),
    };
    const logits = tf.tensor2d([[0.3, 0.1], [0.2, 0.9]]);
    const constantTerm = () => tf.scalar(0.25);
    const total = withDistillation(2, constantTerm)(batch, logits);
    const ce = crossEntropy(batch, logits);
    expect((await total.data())[0]).toBeCloseTo((await ce.data())[0] + 0.5, 6);
    expect(() => withDistillation(1, constantTerm)({ ...batch, teacherLogits: undefined }, logits)).toThrow(/teacher logits/);
  });
});

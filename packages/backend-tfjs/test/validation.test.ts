import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { distLoss, distillationLoss, useTfjsPlatform } from '../src/index.js';
import { randomLogits } from './helpers.js';

/** Runs `f` and returns the `code` of what it threw (errors compare by code, not class). */
function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('distLoss rejects bad input with DistInputError codes', () => {
  beforeAll(async () => {
    await useTfjsPlatform('wasm');
  });

  const logits = (values: number[][]) => tf.tensor2d(values);
  const good = () => tf.tensor2d(randomLogits(3, 4, 1), [3, 4]);

  it('checks shapes, types and options without leaking tensors', () => {
    const before = tf.memory().numTensors;
    const a = good();
    expect(codeOf(() => distLoss(a, tf.tensor1d([1, 2, 3])))).toBe('BAD_SHAPE');
    expect(codeOf(() => distLoss(a, tf.tensor2d(randomLogits(3, 5, 2), [3, 5])))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => distLoss(tf.zeros([0, 4]), tf.zeros([0, 4])))).toBe('EMPTY');
    expect(codeOf(() => distLoss(a, tf.zeros([3, 4], 'int32')))).toBe('BAD_INPUT_TYPE');
    expect(codeOf(() => distLoss(a, [[1, 2, 3, 4]] as unknown as tf.Tensor))).toBe('BAD_INPUT_TYPE');
    expect(codeOf(() => distLoss(a, a, { temperature: 4 } as never))).toBe('BAD_OPTION');
    expect(codeOf(() => distLoss(a, a, { tau: 0 }))).toBe('BAD_OPTION');
    tf.disposeVariables();
    tf.dispose(a);
    // The rejected inputs above were created inline; count only what this test kept.
    expect(tf.memory().numTensors - before).toBe(5);
  });

  it('rejects NaN and ±Infinity logits (NON_FINITE) and leaks nothing doing so', () => {
    const teacher = good();
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const values = Array.from(randomLogits(3, 4, 5));
      values[6] = bad;
      const student = tf.tensor2d(values, [3, 4]);
      const before = tf.memory().numTensors;
      expect(codeOf(() => distLoss(teacher, student))).toBe('NON_FINITE');
      expect(codeOf(() => tf.grad((s: tf.Tensor) => distLoss(teacher, s))(student))).toBe('NON_FINITE');
      expect(codeOf(() => distLoss(student, teacher))).toBe('NON_FINITE');
      expect(tf.memory().numTensors).toBe(before);
      student.dispose();
    }
    teacher.dispose();
  });

  it('says where the bad value is', () => {
    const student = logits([[0, 1], [2, Number.NaN]]);
    expect(() => distLoss(logits([[0, 1], [1, 0]]), student)).toThrow(/studentLogits|student\[1, 1\]/);
  });

  it('rejects eps = 0 with a zero-variance row as DEGENERATE, not NaN', () => {
    const flat = logits([[1, 1, 1], [2, 0, 1]]);
    const other = logits([[0, 1, 2], [1, 2, 0]]);
    expect(codeOf(() => distLoss(other, flat, { eps: 0 }))).toBe('DEGENERATE');
    expect(distLoss(other, flat).dataSync()[0]).toBeGreaterThan(0);
    // Official placement with eps > 0: a flat row is fine, and so is its gradient (the a = 0 limit).
    const grad = tf.grad((s: tf.Tensor) => distLoss(other, s, { epsMode: 'official' }))(flat);
    expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
  });

  it('skips the data checks with validate: false', () => {
    const student = logits([[0, Number.NaN], [1, 2]]);
    const loss = distLoss(logits([[0, 1], [1, 0]]), student, { validate: false });
    expect(Number.isNaN(loss.dataSync()[0])).toBe(true);
  });

  it('checks distillationLoss labels and weight', () => {
    const a = good();
    expect(codeOf(() => distillationLoss({ labels: tf.tensor1d([0, 1], 'int32'), studentLogits: a, teacherLogits: a }))).toBe(
      'SHAPE_MISMATCH',
    );
    expect(codeOf(() => distillationLoss({ labels: tf.tensor1d([0, 1, 2], 'int32'), studentLogits: a, teacherLogits: a, weight: -1 }))).toBe(
      'BAD_OPTION',
    );
  });

  it('rejects class indices that are not classes: out of range or fractional (cross-entropy 0 or truncated)', () => {
    const a = good();
    const classes = a.shape[1];
    const rows = a.shape[0];
    const indices = (last: number, dtype: 'int32' | 'float32') => tf.tensor1d([...Array.from({ length: rows - 1 }, () => 0), last], dtype);
    for (const [last, dtype] of [[classes, 'int32'], [-1, 'int32'], [0.9, 'float32'], [1.6, 'float32'], [Number.NaN, 'float32']] as const) {
      const labels = indices(last, dtype);
      let error: unknown;
      try {
        distillationLoss({ labels, studentLogits: a, teacherLogits: a });
      } catch (caught) {
        error = caught;
      }
      expect(error, `label ${last}`).toMatchObject({ name: 'DistInputError', code: 'BAD_LABEL', message: expect.stringContaining(`labels[${rows - 1}]`) });
      labels.dispose();
    }
    const fine = indices(classes - 1, 'float32');
    expect(Number.isFinite(distillationLoss({ labels: fine, studentLogits: a, teacherLogits: a }).dataSync()[0])).toBe(true);
  });

  it('rejects tau beyond the float32 range, as compute does', () => {
    expect(codeOf(() => distLoss(good(), good(), { tau: 2e19 }))).toBe('BAD_OPTION');
    expect(codeOf(() => distLoss(good(), good(), { tau: 1e-30 }))).toBe('BAD_OPTION');
  });
});

/**
 * `validate: 'deferred'`, the default on GPU backends: no synchronous read, and bad input still ends
 * in a DistInputError, thrown by the next distLoss call or by settleDistLossChecks(). Run here on
 * tfjs cpu and wasm (the browser test checks the default on webgl and webgpu).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { distLoss, settleDistLossChecks, useTfjsPlatform } from '../src/index.js';
import { randomLogits } from './helpers.js';

describe.each(['cpu', 'wasm'] as const)("validate: 'deferred' on tfjs %s", (platform) => {
  const good = () => tf.tensor2d(randomLogits(3, 4, 1), [3, 4]);
  const withNaN = () => {
    const values = randomLogits(3, 4, 2);
    values[6] = NaN;
    return tf.tensor2d(values, [3, 4]);
  };

  it('returns the NaN loss, then settleDistLossChecks rejects with NON_FINITE at the logit, once', async () => {
    await useTfjsPlatform(platform);
    const [teacher, student] = [good(), withNaN()];
    const before = tf.memory().numTensors;
    const loss = distLoss(teacher, student, { validate: 'deferred' });
    expect(Number.isNaN((await loss.data())[0])).toBe(true);
    loss.dispose();
    await expect(settleDistLossChecks()).rejects.toMatchObject({ name: 'DistInputError', code: 'NON_FINITE', message: /studentLogits|student\[1, 2\]/ });
    await expect(settleDistLossChecks()).resolves.toBeUndefined();
    // The references kept for the check are gone once it settled.
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([teacher, student]);
  });

  it('makes the next distLoss call throw when nothing settled the checks', async () => {
    await useTfjsPlatform(platform);
    const [teacher, student] = [good(), withNaN()];
    distLoss(teacher, student, { validate: 'deferred' }).dispose();
    // Let the asynchronous read settle, as the next training step would.
    await new Promise((resolve) => setTimeout(resolve, 50));
    let code: string | undefined;
    try {
      distLoss(teacher, teacher).dispose();
    } catch (error) {
      code = (error as { code?: string }).code;
    }
    expect(code).toBe('NON_FINITE');
    // Reported once: the call after it runs.
    const loss = distLoss(teacher, teacher, { validate: 'deferred' });
    await settleDistLossChecks();
    expect(Number.isFinite((await loss.data())[0])).toBe(true);
    tf.dispose([teacher, student, loss]);
  });

  it('rejects validate values it does not know', () => {
    const a = good();
    expect(() => distLoss(a, a, { validate: 'later' as never })).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    a.dispose();
  });
});

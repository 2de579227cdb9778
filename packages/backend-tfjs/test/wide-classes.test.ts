/**
 * Class counts wide enough that one average pool over all of them would overflow tfjs-backend-wasm's
 * stack (see `src/column-mean.ts`): the results must match the reference, and the wasm heap must still
 * be intact for the calls that follow. Vitest runs each file in its own worker, so a corrupted heap
 * here would show up in this file's later tests.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceDist, type DistBackend, type DistRequest } from '@dist-kd/core';
import { createBackend, useTfjsPlatform } from '../src/index.js';
import { columnMean, MAX_POOL_CHANNELS } from '../src/column-mean.js';
import { cases, randomLogits, relativeError } from './helpers.js';

/** Each compute at these sizes takes a few seconds with the float64 reference beside it. */
const WIDE_TIMEOUT_MS = 120_000;

function wideRequest(batch: number, classes: number): DistRequest {
  return {
    student: randomLogits(batch, classes, batch + 3 * classes),
    teacher: randomLogits(batch, classes, batch + 5 * classes + 1),
    shape: [batch, classes],
    gradient: true,
  };
}

async function expectMatchesReference(backend: DistBackend, request: DistRequest) {
  const result = await backend.compute(request);
  const expected = referenceDist(request);
  expect(Math.abs(result.loss - expected.loss)).toBeLessThan(2e-5 * Math.max(1, expected.loss));
  expect(Math.abs(result.inter - expected.inter)).toBeLessThan(2e-5);
  expect(Math.abs(result.intra - expected.intra)).toBeLessThan(2e-5);
  // Relative to the largest entry itself: at 32000 classes every entry is far below 1 (~5e-5).
  expect(relativeError(result.gradient!, expected.gradient!, 0)).toBeLessThan(2e-4);
}

/** A small case after the wide ones: fails if a wide call corrupted the wasm heap. */
async function expectStillWorks(backend: DistBackend) {
  const c = cases()[0];
  await expectMatchesReference(
    backend,
    { student: c.student, teacher: c.teacher, shape: c.shape, options: c.options, gradient: true },
  );
}

describe('columnMean on tfjs wasm', () => {
  beforeAll(async () => {
    await useTfjsPlatform('wasm');
  });

  // At, just past and well past the pool width, divisible by the group count or not (16411 is prime).
  for (const [batch, classes] of [[32, MAX_POOL_CHANNELS], [32, MAX_POOL_CHANNELS + 1], [8, 16411], [32, 32000]]) {
    it(`matches a float64 mean over ${batch} rows of ${classes} classes`, () => {
      const values = randomLogits(batch, classes, classes);
      const expected = new Float64Array(classes);
      for (let i = 0; i < batch; i++) for (let j = 0; j < classes; j++) expected[j] += values[i * classes + j] / batch;
      const mean = tf.tidy(() => columnMean(tf.tensor2d(values, [batch, classes])));
      expect(mean.shape).toEqual([1, classes]);
      expect(relativeError(mean.dataSync(), expected)).toBeLessThan(1e-6);
      mean.dispose();
    });
  }
});

describe('the wasm backends at wide class counts', () => {
  const fused = createBackend({ variant: 'wasm' });

  for (const [batch, classes] of [[32, 32000], [8, 128000]]) {
    it(
      `fused: ${batch}x${classes} matches the reference and leaves the heap usable`,
      async () => {
        await expectMatchesReference(fused, wideRequest(batch, classes));
        await expectStillWorks(fused);
      },
      WIDE_TIMEOUT_MS,
    );
  }

  it(
    "tfjs's own ops at 128x32000 after the fused ones still run and are right",
    async () => {
      // Code that runs no pools (the bench's naive baseline did this) used to fail here only because
      // it ran after a fused call had corrupted the heap, as in a bench run; this order reproduces it.
      await useTfjsPlatform('wasm');
      const rowSums = tf.tidy(() => tf.sum(tf.softmax(tf.tensor2d(randomLogits(128, 32000, 9), [128, 32000])), 1));
      const sums = await rowSums.data();
      rowSums.dispose();
      expect(sums).toHaveLength(128);
      for (const sum of sums) expect(Math.abs(sum - 1)).toBeLessThan(1e-3);
    },
    WIDE_TIMEOUT_MS,
  );
});

describe('the fused tfjs ops on wide, peaked rows', () => {
  const ops = createBackend({ variant: 'ops-wasm' });

  // Normal logits of standard deviation 3 at tau = 1: a few classes hold most of each row, so the
  // softmax's sum of expm1 sits near -C and its row sum S = C + sum(m) cancels. Before the
  // two-level sums and S from exp, the gradient was 9.7e-2 off (relative to its largest entry) here.
  it(
    '2x32768 at tau = 1 matches the reference (gradient within 2e-4 of its largest entry)',
    async () => {
      let state = 12345;
      const normal = () => {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        const u = (state + 1) / 2 ** 32;
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        return Math.sqrt(-2 * Math.log(u)) * Math.cos((2 * Math.PI * state) / 2 ** 32);
      };
      const [batch, classes] = [2, 32768];
      const student = Float32Array.from({ length: batch * classes }, () => 3 * normal());
      const teacher = Float32Array.from({ length: batch * classes }, () => 3 * normal());
      const request: DistRequest = { student, teacher, shape: [batch, classes], options: { beta: 1, gamma: 1, tau: 1 }, gradient: true };
      const result = await ops.compute(request);
      const expected = referenceDist(request);
      expect(relativeError(result.gradient!, expected.gradient!, 0)).toBeLessThan(2e-4);
    },
    WIDE_TIMEOUT_MS,
  );
});

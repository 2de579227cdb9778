/**
 * The bench's naive tfjs baselines (src/naive-tfjs.ts): right where float32 is comfortable, the
 * errors of a DistBackend, and what they lose that the product keeps. tfjs-naive-webgpu runs in
 * Node through Dawn: SwiftShader from Debian's chromium unless a Vulkan driver is set.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32, referenceDist, type DistBackend, type DistOptions, type DistRequest } from '@dist-kd/core';
import { createBackend, VARIANTS } from '@dist-kd/backend-tfjs';
import { createNaiveTfjsBaseline, NAIVE_TFJS_BASELINES } from '../src/naive-tfjs.js';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!['VK_ICD_FILENAMES', 'VK_DRIVER_FILES'].some((name) => process.env[name]) && existsSync(SWIFTSHADER_ICD)) {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

function logits(batch: number, classes: number, seed: number, scale: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: batch * classes }, () => (random() - 0.5) * 2 * scale);
}

function request(batch: number, classes: number, scale: number, options?: Partial<DistOptions>): DistRequest {
  return { student: logits(batch, classes, 7 * batch + classes, scale), teacher: logits(batch, classes, 11 * batch + classes, scale), shape: [batch, classes], options, gradient: true };
}

/** Where float32 is comfortable for a direct port. */
const COMFORTABLE = [request(8, 10, 4), request(3, 300, 3, { tau: 1 }), request(64, 5, 5, { tau: 4, beta: 1, gamma: 1 })];

/** Largest |a - b| relative to the largest |b| (at least 1). */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 1;
  let worst = 0;
  for (let k = 0; k < expected.length; k++) scale = Math.max(scale, Math.abs(expected[k]!));
  for (let k = 0; k < expected.length; k++) worst = Math.max(worst, Math.abs(actual[k]! - expected[k]!));
  return worst / scale;
}

async function expectMatchesReference(backend: DistBackend, cases: readonly DistRequest[], tolerance: { loss: number; gradient: number }) {
  for (const each of cases) {
    const result = await backend.compute(each);
    const expected = referenceDist(each);
    expect(Math.abs(result.loss - expected.loss)).toBeLessThan(tolerance.loss * Math.max(1, expected.loss));
    expect(Math.abs(result.inter - expected.inter)).toBeLessThan(tolerance.loss);
    expect(Math.abs(result.intra - expected.intra)).toBeLessThan(tolerance.loss);
    expect(relativeError(result.gradient!, expected.gradient!)).toBeLessThan(tolerance.gradient);
  }
}

describe('the naive tfjs baselines', () => {
  it('are the bench’s: one per platform, none of them a variant of @dist-kd/backend-tfjs', () => {
    expect(NAIVE_TFJS_BASELINES).toEqual(['tfjs-naive-wasm', 'tfjs-naive-cpu', 'tfjs-naive-webgpu', 'tfjs-naive-webgl']);
    expect(VARIANTS.filter((variant) => variant.includes('naive'))).toEqual([]);
    expect(() => createBackend({ variant: 'naive-wasm' })).toThrow(expect.objectContaining({ code: 'UNKNOWN_VARIANT' }));
    expect(() => createNaiveTfjsBaseline('tfjs-wasm')).toThrow(expect.objectContaining({ code: 'BAD_OPTION', message: expect.stringMatching(/not a naive tfjs baseline/) }));
  });

  for (const name of ['tfjs-naive-wasm', 'tfjs-naive-cpu']) {
    it(`${name}: available, says it is the baseline, matches the reference`, async () => {
      const backend = createNaiveTfjsBaseline(name);
      const availability = await backend.availability();
      expect(availability).toMatchObject({ available: true, details: { computedBy: 'naive baseline (tf.grad)', tfjsBackend: name.slice('tfjs-naive-'.length) } });
      await expectMatchesReference(backend, COMFORTABLE, { loss: 2e-5, gradient: 2e-4 });
      await backend.dispose();
    });
  }

  it('loses near-uniform rows that the product (tfjs-wasm) keeps', async () => {
    const nearUniform = request(8, 50, 1e-4);
    const expected = referenceDist(nearUniform).gradient!;
    const fused = await createBackend({ variant: 'wasm' }).compute(nearUniform);
    const naive = await createNaiveTfjsBaseline('tfjs-naive-wasm').compute(nearUniform);
    expect(relativeError(fused.gradient!, expected) * 20).toBeLessThan(relativeError(naive.gradient!, expected));
  });

  it('rejects bad input with the shared codes, sigmoid as unsupported, and says so instead of returning the NaN gradient of sqrt(0)', async () => {
    const backend = createNaiveTfjsBaseline('tfjs-naive-wasm');
    const code = (promise: Promise<unknown>) => promise.then(() => undefined, (error: { code?: string }) => error.code);
    const flat = Float32Array.from([1, 1, 1, 0, 1, 2]);
    const other = Float32Array.from([0, 1, 2, 2, 1, 0]);
    expect(await code(backend.compute({ student: flat, teacher: other }))).toBe('BAD_SHAPE');
    expect(await code(backend.compute({ student: flat, teacher: other, shape: [2, 3], options: { eps: 0 } }))).toBe('DEGENERATE');
    expect(await code(backend.compute({ student: [[Number.NaN]], teacher: [[0]] }))).toBe('NON_FINITE');
    expect(await code(backend.compute({ student: flat, teacher: other, shape: [2, 3], options: { activation: 'sigmoid' } }))).toBe('UNSUPPORTED_FEATURE');
    // A zero-variance row with eps outside the root: tf.grad meets sqrt'(0).
    expect(await code(backend.compute({ student: [[1, 2, 3]], teacher: [[3, 1, 2]], options: { epsMode: 'official' }, gradient: true }))).toBe('BACKEND_RUNTIME');
    await backend.dispose();
    expect(await code(backend.compute({ student: flat, teacher: other, shape: [2, 3] }))).toBe('BACKEND_DISPOSED');
  });

  it('binds logits for --resident: the same loss and gradient as compute, and no tensor left after dispose', async () => {
    const backend = createNaiveTfjsBaseline('tfjs-naive-wasm');
    const each = COMFORTABLE[0]!;
    const direct = await backend.compute(each);
    const tensors = tf.memory().numTensors;
    const bound = await backend.bind!({ student: each.student, teacher: each.teacher, shape: each.shape!, options: each.options });
    for (let call = 0; call < 3; call++) expect((await bound.compute(true)).loss).toBeCloseTo(direct.loss, 6);
    expect(relativeError(await bound.readGradient(), direct.gradient!)).toBeLessThan(1e-6);
    await bound.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    await backend.dispose();
  });

  it('tfjs-naive-webgl: unavailable in Node, with the reason', async () => {
    expect(await createNaiveTfjsBaseline('tfjs-naive-webgl').availability()).toMatchObject({ available: false, reason: expect.stringMatching(/WebGL needs a browser/) });
  });
});

describe('tfjs-naive-webgpu in Node through the webgpu package', () => {
  const backend = createNaiveTfjsBaseline('tfjs-naive-webgpu');
  afterAll(() => backend.dispose());

  it('is available and matches the float64 reference', async () => {
    expect(await backend.availability()).toMatchObject({ available: true, details: { tfjsBackend: 'webgpu' } });
    await expectMatchesReference(backend, COMFORTABLE, { loss: 1e-4, gradient: 1e-3 });
  }, 120_000);
});

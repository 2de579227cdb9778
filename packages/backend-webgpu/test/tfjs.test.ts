/**
 * The tfjs entry on @tensorflow/tfjs-backend-webgpu in Node (Dawn): tensors go in on the GPU, the
 * gradient comes back as a tensor that further tfjs-webgpu ops can use.
 */
import { referenceDist } from '@dist-kd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create, globals } from 'webgpu';
import { createTfjsDist, type TfjsDist } from '../src/tfjs.js';
import { expectMatchesReference, logits } from './helpers.js';

// tfjs-backend-webgpu registers itself only if navigator.gpu exists when it is imported, and uses
// the WebGPU globals (GPUBufferUsage, ...). The Dawn instance must stay referenced (ENVIRONMENT.md).
const dawn = create([]);
Object.assign(globalThis, globals, { navigator: { gpu: dawn } });
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-webgpu');

let dist: TfjsDist;
beforeAll(async () => {
  expect(await tf.setBackend('webgpu')).toBe(true);
  dist = await createTfjsDist();
});
afterAll(async () => {
  await dist?.dispose();
  tf.engine().reset();
});

describe('@dist-kd/backend-webgpu/tfjs', () => {
  it('computes from webgpu tensors and returns the gradient as a webgpu tensor', async () => {
    const [B, C] = [24, 37];
    const s = logits(B * C, 5);
    const t = logits(B * C, 6, 8);
    const student = tf.tensor2d(s, [B, C]);
    const teacher = tf.tensor2d(t, [B, C]);
    const result = await dist.compute(student, teacher, { tau: 2 });
    expect(result.gradient).toBeDefined();
    expect(result.gradient!.shape).toEqual([B, C]);
    expect(tf.getBackend()).toBe('webgpu');
    const gradient = await result.gradient!.data();
    expectMatchesReference(
      { ...result, gradient: gradient as Float32Array },
      { student: s, teacher: t, shape: [B, C], options: { tau: 2 }, gradient: true },
    );
    tf.dispose([student, teacher, result.gradient!]);
  });

  it('takes tensors that tfjs-webgpu computed, and its gradient feeds a tfjs training step', async () => {
    const [B, C] = [16, 10];
    const base = tf.tensor2d(logits(B * C, 8), [B, C]);
    const student = tf.mul(base, 2) as typeof base; // produced on the GPU by a tfjs kernel
    const teacher = tf.tensor2d(logits(B * C, 9), [B, C]);
    const { loss, gradient } = await dist.compute(student, teacher);
    const expected = referenceDist({
      student: (await student.data()) as Float32Array,
      teacher: (await teacher.data()) as Float32Array,
      shape: [B, C],
      gradient: true,
    });
    expect(Math.abs(loss - expected.loss)).toBeLessThan(1e-4 * expected.loss);
    const stepped = tf.sub(student, tf.mul(gradient!, 0.1));
    const values = await stepped.data();
    const s = await student.data();
    values.forEach((v, k) => expect(v).toBeCloseTo(s[k] - 0.1 * expected.gradient![k], 4));
    tf.dispose([base, student, teacher, gradient!, stepped]);
  });

  it('reads back no gradient when it is not asked for, and leaks no tensors', async () => {
    const student = tf.tensor2d(logits(12, 1), [3, 4]);
    const teacher = tf.tensor2d(logits(12, 2), [3, 4]);
    const before = tf.memory().numTensors;
    const result = await dist.compute(student, teacher, {}, { gradient: false });
    expect(result.gradient).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([student, teacher]);
  });

  it('rejects bad tensors with typed errors', async () => {
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const b = tf.tensor2d([1, 2, 3], [1, 3]);
    const ints = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const vector = tf.tensor1d([1, 2, 3, 4]);
    await expect(dist.compute(a, b)).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    // The same codes as backend-tfjs's distLoss for the same mistakes.
    await expect(dist.compute(ints, a)).rejects.toMatchObject({ code: 'BAD_INPUT_TYPE', message: expect.stringContaining('int32') });
    await expect(dist.compute(vector, a)).rejects.toMatchObject({ code: 'BAD_SHAPE' });
    await expect(dist.compute(a, a, { tau: -1 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(dist.compute(a, a, { tau: 2e19 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    // GPU-resident logits skip host validation; the kernels flag NaN themselves.
    const nan = tf.tensor2d([1, NaN, 3, 4], [2, 2]);
    await expect(dist.compute(nan, a)).rejects.toMatchObject({ code: 'NON_FINITE' });
    tf.dispose([a, b, ints, vector, nan]);
  });
});

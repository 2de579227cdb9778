/**
 * Bound logits (`bind`): uploaded once, computed on repeatedly, the gradient read only on request.
 * The kernels reduce in fixed trees without atomics, and a bound call runs them on the same float32
 * bytes with the same parameters as `compute`, so the results are expected bit for bit equal, not
 * merely within float32 rounding.
 */
import { DistInputError, type DistBinding, type DistResult } from '@dist-kd/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackend } from '../src/index.js';
import { badRequests, expectMatchesReference, logits, trackBuffers } from './helpers.js';

const backend = createBackend();
afterAll(() => backend.dispose());

function binding(batch: number, classes: number, seed: number, options: DistBinding['options'] = { tau: 2 }) {
  const count = batch * classes;
  return { student: logits(count, seed), teacher: logits(count, seed + 1, 8), shape: [batch, classes] as const, options };
}

function expectSameBits(actual: Float32Array | Float64Array, expected: Float32Array | Float64Array): void {
  expect(actual.constructor).toBe(expected.constructor);
  expect(actual.length).toBe(expected.length);
  expect(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(
    Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength),
  )).toBe(true);
}

function expectSameResult(terms: Omit<DistResult, 'gradient'>, gradient: Float32Array | Float64Array, expected: DistResult): void {
  expect(terms).toEqual({ loss: expected.loss, inter: expected.inter, intra: expected.intra });
  expectSameBits(gradient, expected.gradient!);
}

describe('bind', () => {
  it('compute(true) and readGradient give what compute gives, bit for bit, and match the reference', async () => {
    const request = binding(24, 37, 1);
    const expected = await backend.compute({ ...request, gradient: true });
    expectMatchesReference(expected, { ...request, gradient: true });
    const bound = await backend.bind(request);
    const terms = await bound.compute(true);
    expectSameResult(terms, await bound.readGradient(), expected);
    await bound.dispose();
  });

  it('repeated calls give the same results, and compute(false) gives the same terms', async () => {
    const request = binding(50, 19, 3, { tau: 4, beta: 2, gamma: 0.5 });
    const expected = await backend.compute({ ...request, gradient: true });
    const bound = await backend.bind(request);
    for (let k = 0; k < 3; k++) {
      expect(await bound.compute(false)).toEqual({ loss: expected.loss, inter: expected.inter, intra: expected.intra });
      expectSameResult(await bound.compute(true), await bound.readGradient(), expected);
    }
    await bound.dispose();
  });

  it('returns a Float64Array gradient for float64 logits, a Float32Array for float32 ones', async () => {
    const request = binding(6, 9, 5);
    const wide = { ...request, student: Float64Array.from(request.student), teacher: Float64Array.from(request.teacher) };
    const bound32 = await backend.bind(request);
    const bound64 = await backend.bind(wide);
    await bound32.compute(true);
    await bound64.compute(true);
    const gradient32 = await bound32.readGradient();
    const gradient64 = await bound64.readGradient();
    expect(gradient32).toBeInstanceOf(Float32Array);
    expect(gradient64).toBeInstanceOf(Float64Array);
    expectSameBits(gradient64, (await backend.compute({ ...wide, gradient: true })).gradient!);
    expect(Array.from(gradient64)).toEqual(Array.from(gradient32));
    await Promise.all([bound32.dispose(), bound64.dispose()]);
  });

  it('takes nested rows like compute', async () => {
    const rows = [
      [1, 2, 3.5],
      [0.5, -1, 2],
    ];
    const teacher = [
      [2, 1, 0],
      [1, 3, -2],
    ];
    const expected = await backend.compute({ student: rows, teacher, gradient: true });
    const bound = await backend.bind({ student: rows, teacher });
    expectSameResult(await bound.compute(true), await bound.readGradient(), expected);
    await bound.dispose();
  });

  it('keeps the logits of the bind: later changes to the arrays and compute calls in between do not reach them', async () => {
    const request = binding(12, 10, 7);
    const expected = await backend.compute({ ...request, gradient: true });
    const student = request.student.slice();
    const bound = await backend.bind({ ...request, student });
    student.fill(0);
    // Same shape (the backend's shared workspace) and another shape (a new one) in between.
    await backend.compute({ ...binding(12, 10, 20), gradient: true });
    await backend.compute({ ...binding(5, 4, 21), gradient: true });
    expectSameResult(await bound.compute(true), await bound.readGradient(), expected);
    await bound.dispose();
  });

  it('readGradient after compute(false), or before any compute, throws', async () => {
    const bound = await backend.bind(binding(8, 6, 9));
    await expect(bound.readGradient()).rejects.toMatchObject({ code: 'GRADIENT_NOT_READY' });
    await bound.compute(true);
    await bound.compute(false);
    await expect(bound.readGradient()).rejects.toMatchObject({ code: 'GRADIENT_NOT_READY' });
    await bound.compute(true);
    expect((await bound.readGradient()).length).toBe(48);
    await bound.dispose();
  });

  it('a degenerate binding rejects every compute with DEGENERATE, as compute does, and leaves no gradient', async () => {
    const request = { ...binding(3, 4, 11), student: new Float32Array(12).fill(0.5), options: { eps: 0 } };
    await expect(backend.compute({ ...request, gradient: true })).rejects.toMatchObject({ code: 'DEGENERATE' });
    const bound = await backend.bind(request);
    await expect(bound.compute(true)).rejects.toMatchObject({ name: 'DistInputError', code: 'DEGENERATE' });
    await expect(bound.compute(false)).rejects.toMatchObject({ code: 'DEGENERATE' });
    await expect(bound.readGradient()).rejects.toMatchObject({ code: 'GRADIENT_NOT_READY' });
    await bound.dispose();
  });

  it('runs inputs split into chunks (a forced small storage binding)', async () => {
    const split = createBackend({ maxStorageBindingBytes: 4096 });
    const request = binding(53, 40, 13);
    const expected = await split.compute({ ...request, gradient: true });
    expectMatchesReference(expected, { ...request, gradient: true });
    const bound = await split.bind(request);
    expectSameResult(await bound.compute(true), await bound.readGradient(), expected);
    await split.dispose();
  });
});

describe('bind rejects bad input with the codes of compute', () => {
  for (const [name, request, code] of badRequests()) {
    it(name, async () => {
      const error = await backend.bind(request).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(DistInputError);
      expect((error as DistInputError).code).toBe(code);
    });
  }
});

describe('dispose', () => {
  it("destroys the binding's buffers, and compute and readGradient reject afterwards", async () => {
    const own = createBackend();
    const device = await own.device();
    const buffers = trackBuffers(device);
    const bound = await own.bind(binding(10, 7, 17));
    await bound.compute(true);
    await bound.readGradient();
    expect(buffers.created()).toBeGreaterThan(0);
    expect(buffers.live.size).toBe(buffers.created());
    await bound.dispose();
    expect(buffers.live.size).toBe(0);
    await expect(bound.compute(false)).rejects.toMatchObject({ name: 'DistUsageError', code: 'BINDING_DISPOSED' });
    await expect(bound.readGradient()).rejects.toMatchObject({ name: 'DistUsageError', code: 'BINDING_DISPOSED' });
    await bound.dispose();
    await own.dispose();
  });

  it("disposing the backend releases its bindings, whose calls then reject", async () => {
    const own = createBackend();
    const bound = await own.bind(binding(4, 5, 19));
    await bound.compute(true);
    await own.dispose();
    await expect(bound.compute(true)).rejects.toMatchObject({ name: 'DistUsageError', code: 'BACKEND_DISPOSED' });
    await expect(own.bind(binding(4, 5, 19))).rejects.toMatchObject({ name: 'DistUsageError', code: 'BACKEND_DISPOSED' });
  });
});

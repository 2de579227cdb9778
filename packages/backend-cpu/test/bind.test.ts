import { afterAll, describe, expect, it } from 'vitest';
import { type DistBinding, type DistRequest, type DistResult, type DistTerms } from '@dist-kd/core';
import { createCpuBackend } from '../src/index.js';
import { logits, request } from './fixtures.js';

const float64 = createCpuBackend({ precision: 'float64' });
const single = createCpuBackend({ threads: 1 });
const pooled = createCpuBackend({ threads: 3, parallelThreshold: 0 });
afterAll(async () => {
  for (const backend of [float64, single, pooled]) await backend.dispose();
});

function binding({ gradient: _, ...rest }: DistRequest): DistBinding {
  return rest;
}

function asFloat64(req: DistRequest): DistRequest {
  return { ...req, student: Float64Array.from(req.student as Float32Array), teacher: Float64Array.from(req.teacher as Float32Array) };
}

function bytes(values: Float32Array | Float64Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** Bound terms and gradient are the same bits as `compute` gives for the same request. */
function expectSameResult(terms: DistTerms, gradient: Float32Array | Float64Array, expected: DistResult): void {
  expect(terms).toEqual({ loss: expected.loss, inter: expected.inter, intra: expected.intra });
  expect(gradient.constructor).toBe(expected.gradient!.constructor);
  expect(bytes(gradient).equals(bytes(expected.gradient!))).toBe(true);
}

const backends = [
  ['float64', float64],
  ['float32, one thread', single],
  ['float32, three threads', pooled],
] as const;

const requests: Array<[string, DistRequest]> = [
  ['float32 40x300', request(40, 300, 3)],
  ['float64 40x300', asFloat64(request(40, 300, 3))],
  ['nested rows 2x3, official eps', { student: [[1, 2, 3], [3, 1, 0]], teacher: [[0, 1, 2], [2, 2, 1]], options: { epsMode: 'official', tau: 2 } }],
];

describe.each(backends)('cpu bind (%s)', (_, backend) => {
  it.each(requests)('gives the bits compute gives, call after call: %s', async (_name, req) => {
    const expected = await backend.compute({ ...req, gradient: true });
    const bound = await backend.bind(binding(req));
    for (let call = 0; call < 3; call++) {
      const terms = await bound.compute(true);
      expectSameResult(terms, await bound.readGradient(), expected);
    }
    const forwardOnly = await backend.compute({ ...req, gradient: false });
    await expect(bound.compute(false)).resolves.toEqual(forwardOnly);
    await bound.dispose();
  });

  it('keeps its own copy of the logits: later writes to the caller arrays do not reach it', async () => {
    const req = request(24, 50, 2);
    const expected = await backend.compute(req);
    const bound = await backend.bind(binding(req));
    (req.student as Float32Array).fill(0);
    (req.teacher as Float32Array).fill(Number.NaN);
    expectSameResult(await bound.compute(true), await bound.readGradient(), expected);
    await bound.dispose();
  });

  it('readGradient returns a copy, and throws when the last compute had no gradient', async () => {
    const bound = await backend.bind(binding(request(12, 9, 2)));
    await expect(bound.readGradient()).rejects.toThrow(/compute\(true\)/);
    await bound.compute(true);
    const first = await bound.readGradient();
    first.fill(0);
    expect((await bound.readGradient()).some((value) => value !== 0)).toBe(true);
    await bound.compute(false);
    await expect(bound.readGradient()).rejects.toThrow(/compute\(true\)/);
    await bound.dispose();
  });

  it('stays right when bindings and plain calls interleave', async () => {
    const a = request(30, 40, 2);
    const b = asFloat64(request(31, 17, 4, { tau: 1 }));
    const [expectedA, expectedB] = [await backend.compute(a), await backend.compute(b)];
    const boundA = await backend.bind(binding(a));
    const boundB = await backend.bind(binding(b));
    for (let round = 0; round < 2; round++) {
      expectSameResult(await boundA.compute(true), await boundA.readGradient(), expectedA);
      await backend.compute(request(50, 60, 1));
      expectSameResult(await boundB.compute(true), await boundB.readGradient(), expectedB);
    }
    await boundA.dispose();
    expectSameResult(await boundB.compute(true), await boundB.readGradient(), expectedB);
    await boundB.dispose();
  });

  it('rejects a degenerate input with DEGENERATE, as compute does, and keeps no gradient from it', async () => {
    const constantRows: DistBinding = { student: new Float32Array(64 * 8).fill(1), teacher: logits(64 * 8, 2, 3), shape: [64, 8], options: { eps: 0 } };
    await expect(backend.compute(constantRows)).rejects.toMatchObject({ name: 'DistInputError', code: 'DEGENERATE' });
    const bound = await backend.bind(constantRows);
    await expect(bound.compute(true)).rejects.toMatchObject({ name: 'DistInputError', code: 'DEGENERATE' });
    await expect(bound.readGradient()).rejects.toThrow(/compute\(true\)/);
    await bound.dispose();
    // The backend stays usable afterwards.
    await expect(backend.compute(request(64, 8, 2))).resolves.toHaveProperty('loss');
  });

  it.each([
    ['SHAPE_MISMATCH', { student: [[1, 2]], teacher: [[1, 2, 3]] }],
    ['NON_FINITE', { student: [[1, Number.NaN]], teacher: [[1, 2]] }],
    ['NON_FINITE', { student: new Float64Array([1, 2]), teacher: new Float64Array([1, Infinity]), shape: [1, 2] }],
    ['BAD_SHAPE', { student: new Float32Array(6), teacher: new Float32Array(6) }],
    ['EMPTY', { student: [], teacher: [] }],
    ['BAD_OPTION', { student: [[1, 2]], teacher: [[2, 1]], options: { tau: -1 } }],
  ] as Array<[string, DistBinding]>)('rejects bad logits at bind with %s', async (code, bad) => {
    await expect(backend.bind(bad)).rejects.toMatchObject({ name: 'DistInputError', code });
  });

  it('rejects compute after dispose with DistUsageError BINDING_DISPOSED', async () => {
    const bound = await backend.bind(binding(request(16, 16, 1)));
    await bound.compute(true);
    await bound.dispose();
    await expect(bound.compute(true)).rejects.toMatchObject({ name: 'DistUsageError', code: 'BINDING_DISPOSED' });
    await expect(bound.readGradient()).rejects.toMatchObject({ name: 'DistUsageError', code: 'BINDING_DISPOSED' });
    await expect(bound.dispose()).resolves.toBeUndefined();
  });
});

describe('cpu bind and the backend', () => {
  it('rejects a call of a live binding once its backend is disposed', async () => {
    const backend = createCpuBackend({ threads: 2, parallelThreshold: 0 });
    const bound = await backend.bind(binding(request(8, 8, 1)));
    await bound.compute(true);
    await backend.dispose();
    await expect(bound.compute(true)).rejects.toMatchObject({ name: 'DistUsageError', code: 'BACKEND_DISPOSED' });
    await expect(backend.bind(binding(request(8, 8, 1)))).rejects.toMatchObject({ name: 'DistUsageError', code: 'BACKEND_DISPOSED' });
  });
});

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceDist, type DistRequest } from '@dist-kd/core';
import { createBackend, createCpuBackend } from '../src/index.js';
import { logits, maxAbs, maxAbsDifference, request } from './fixtures.js';

const single = createCpuBackend({ threads: 1 });
const pooled = createCpuBackend({ threads: 2, parallelThreshold: 0 });
afterAll(async () => {
  await single.dispose();
  await pooled.dispose();
});

const cases: Array<[string, DistRequest]> = [
  ['4x5 default options', request(4, 5, 3)],
  ['64x100 tau=1', request(64, 100, 5, { tau: 1 })],
  ['near-uniform rows 8x2000, logits 1e-4', request(8, 2000, 1e-4)],
  ['near-uniform 3x3000, tau=20, logits 1e-3', request(3, 3000, 1e-3, { tau: 20 })],
  ['large logits 32x64, +-80, tau=1', request(32, 64, 80, { tau: 1 })],
  ['official eps 64x10', request(64, 10, 3, { epsMode: 'official', beta: 1, gamma: 1, tau: 4 })],
  ['B=1', request(1, 7, 2)],
  ['C=1', request(5, 1, 2)],
  ['wide 7x40000', request(7, 40000, 2)],
];

describe.each([
  ['one thread', single],
  ['two threads', pooled],
])('cpu backend (%s) against the float64 reference', (_, backend) => {
  it.each(cases)('%s', async (_name, req) => {
    const expected = referenceDist(req);
    const got = await backend.compute(req);
    expect(Math.abs(got.loss - expected.loss)).toBeLessThanOrEqual(1e-12 * Math.abs(expected.loss));
    expect(Math.abs(got.inter - expected.inter)).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(got.intra - expected.intra)).toBeLessThanOrEqual(1e-12);
    expect(got.gradient).toBeInstanceOf(Float32Array);
    // The gradient comes back as float32 (the student's type): one float32 rounding of error.
    expect(maxAbsDifference(got.gradient!, expected.gradient!)).toBeLessThanOrEqual(2e-7 * maxAbs(expected.gradient!) + 1e-30);
    // The float64 reference alone takes seconds on the wide case when the machine is busy (CI runs
    // the packages' tests side by side on 2 cores).
  }, 60_000);
});

describe('cpu backend behaviour', () => {
  it('keeps float64 precision for Float64Array input', async () => {
    const req = request(16, 300, 1e-3);
    const f64: DistRequest = { ...req, student: Float64Array.from(req.student as Float32Array), teacher: Float64Array.from(req.teacher as Float32Array) };
    const expected = referenceDist(f64);
    const got = await single.compute(f64);
    expect(got.gradient).toBeInstanceOf(Float64Array);
    expect(maxAbsDifference(got.gradient!, expected.gradient!)).toBeLessThanOrEqual(1e-9 * maxAbs(expected.gradient!));
  });

  it('is deterministic: the same input gives the same bits, with or without threads', async () => {
    const req = request(200, 300, 3);
    for (const backend of [single, pooled]) {
      const a = await backend.compute(req);
      const b = await backend.compute(req);
      expect(b.loss).toBe(a.loss);
      expect(Buffer.from(b.gradient!.buffer).equals(Buffer.from(a.gradient!.buffer))).toBe(true);
    }
  });

  it('reuses its scratch memory correctly across shape changes and forward-only calls', async () => {
    const big = request(40, 500, 2);
    const small = request(3, 11, 2);
    for (const backend of [single, pooled]) {
      const first = await backend.compute(big);
      await backend.compute(small);
      await backend.compute({ ...big, gradient: false });
      const again = await backend.compute(big);
      expect(again.loss).toBe(first.loss);
      expect(maxAbsDifference(again.gradient!, first.gradient!)).toBe(0);
      const forwardOnly = await backend.compute({ ...small, gradient: false });
      expect(forwardOnly.gradient).toBeUndefined();
      expect(forwardOnly.loss).toBeCloseTo(referenceDist(small).loss, 10);
    }
  });

  it('reports DEGENERATE from a worker thread as a DistInputError', async () => {
    const constantRows = { student: new Float32Array(64 * 8).fill(1), teacher: logits(64 * 8, 2, 3), shape: [64, 8] as const, options: { eps: 0 } };
    await expect(pooled.compute(constantRows)).rejects.toMatchObject({ name: 'DistInputError', code: 'DEGENERATE' });
    // The pool stays usable after a rejected call.
    await expect(pooled.compute(request(64, 8, 2))).resolves.toHaveProperty('loss');
  });

  it('rejects bad input with core validation codes', async () => {
    await expect(single.compute({ student: [[1, 2]], teacher: [[1, 2, 3]] })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(single.compute({ student: [[NaN]], teacher: [[1]] })).rejects.toMatchObject({ code: 'NON_FINITE' });
  });

  it('refuses to run after dispose', async () => {
    const backend = createCpuBackend({ threads: 2 });
    await backend.dispose();
    await expect(backend.compute(request(2, 2, 1))).rejects.toMatchObject({ name: 'DistUsageError', code: 'BACKEND_DISPOSED' });
  });

  it('reports its thread count in availability()', async () => {
    await expect(pooled.availability()).resolves.toMatchObject({ available: true, details: { threads: '2' } });
  });

  it('rejects unknown variants', () => {
    expect(() => createBackend({ variant: 'gpu' })).toThrow(expect.objectContaining({ name: 'DistUsageError', code: 'UNKNOWN_VARIANT', message: expect.stringMatching(/no variants/) }));
  });

  it('does not keep a process alive once its work is done, without dispose', () => {
    const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      import { createCpuBackend } from ${JSON.stringify(entry)};
      const cpu = createCpuBackend({ threads: 2, parallelThreshold: 0 });
      const r = await cpu.compute({ student: new Float32Array(4096).fill(0.5).map((v, k) => v * (k % 7)), teacher: new Float32Array(4096).map((_, k) => k % 5), shape: [64, 64], gradient: true });
      console.log(Number.isFinite(r.loss) ? 'ok' : 'bad');`;
    // A plain Node process on the built package, as a user runs it (no test-runner flags or conditions).
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 20000,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(child.stderr).toBe('');
    expect(child.error).toBeUndefined();
    expect(child.stdout.trim()).toBe('ok');
    expect(child.status).toBe(0);
  }, 60_000);
});

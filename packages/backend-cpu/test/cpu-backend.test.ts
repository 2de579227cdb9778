import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DistInputError, referenceDist, type DistRequest } from '@dist-kd/core';
import { MAX_THREADS } from '@dist-kd/kernel-wasm';
import { createBackend, createCpuBackend, type CpuBackend } from '../src/index.js';
import { logits, maxAbs, maxAbsDifference, request } from './fixtures.js';

const float64 = createCpuBackend({ precision: 'float64' });
const single = createCpuBackend({ threads: 1 });
const pooled = createCpuBackend({ threads: 2, parallelThreshold: 0 });
const three = createCpuBackend({ threads: 3, parallelThreshold: 0 });
afterAll(async () => {
  for (const backend of [float64, single, pooled, three]) await backend.dispose();
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
  ['C not a multiple of 4, 37x1001', request(37, 1001, 4)],
  ['wide 7x40000', request(7, 40000, 2)],
];

// The float64 path against the reference to float64 rounding; the float32 SIMD path (on one, two
// and three threads) to float32 rounding, relative to the largest gradient entry.
const paths: Array<[string, CpuBackend, { loss: number; gradient: number }]> = [
  ['float64', float64, { loss: 1e-12, gradient: 2e-7 }],
  ['float32, one thread', single, { loss: 2e-6, gradient: 2e-4 }],
  ['float32, two threads', pooled, { loss: 2e-6, gradient: 2e-4 }],
  ['float32, three threads', three, { loss: 2e-6, gradient: 2e-4 }],
];

describe.each(paths)('cpu backend (%s) against the float64 reference', (_, backend, tolerance) => {
  it.each(cases)('%s', async (_name, req) => {
    const expected = referenceDist(req);
    const got = await backend.compute(req);
    expect(Math.abs(got.loss - expected.loss)).toBeLessThanOrEqual(tolerance.loss * Math.max(1, Math.abs(expected.loss)));
    expect(Math.abs(got.inter - expected.inter)).toBeLessThanOrEqual(tolerance.loss);
    expect(Math.abs(got.intra - expected.intra)).toBeLessThanOrEqual(tolerance.loss);
    expect(got.gradient).toBeInstanceOf(Float32Array);
    expect(maxAbsDifference(got.gradient!, expected.gradient!)).toBeLessThanOrEqual(tolerance.gradient * maxAbs(expected.gradient!) + 1e-30);
    // The float64 reference alone takes seconds on the wide case when the machine is busy (CI runs
    // the packages' tests side by side on 2 cores).
  }, 60_000);
});

describe('cpu backend behaviour', () => {
  it('keeps float64 precision for Float64Array input on the float64 path', async () => {
    const req = request(16, 300, 1e-3);
    const f64: DistRequest = { ...req, student: Float64Array.from(req.student as Float32Array), teacher: Float64Array.from(req.teacher as Float32Array) };
    const expected = referenceDist(f64);
    const got = await float64.compute(f64);
    expect(got.gradient).toBeInstanceOf(Float64Array);
    expect(maxAbsDifference(got.gradient!, expected.gradient!)).toBeLessThanOrEqual(1e-9 * maxAbs(expected.gradient!));
  });

  it('returns a Float64Array gradient for Float64Array input on the float32 path too', async () => {
    const req = request(16, 300, 3);
    const f64: DistRequest = { ...req, student: Float64Array.from(req.student as Float32Array), teacher: Float64Array.from(req.teacher as Float32Array) };
    const got = await pooled.compute(f64);
    expect(got.gradient).toBeInstanceOf(Float64Array);
    const asFloat32 = await pooled.compute(req);
    expect(Array.from(got.gradient!)).toEqual(Array.from(asFloat32.gradient!));
  });

  it('is deterministic: the same input gives the same bits, call after call, on every path', async () => {
    const req = request(200, 300, 3);
    for (const backend of [float64, single, pooled, three]) {
      const a = await backend.compute(req);
      const b = await backend.compute(req);
      expect(b.loss).toBe(a.loss);
      expect(Buffer.from(b.gradient!.buffer).equals(Buffer.from(a.gradient!.buffer))).toBe(true);
    }
  });

  it('reuses its scratch memory correctly across shape changes and forward-only calls', async () => {
    const big = request(40, 500, 2);
    const small = request(3, 11, 2);
    for (const backend of [float64, single, pooled]) {
      const first = await backend.compute(big);
      await backend.compute(small);
      await backend.compute({ ...big, gradient: false });
      const again = await backend.compute(big);
      expect(again.loss).toBe(first.loss);
      expect(maxAbsDifference(again.gradient!, first.gradient!)).toBe(0);
      const forwardOnly = await backend.compute({ ...small, gradient: false });
      expect(forwardOnly.gradient).toBeUndefined();
      expect(forwardOnly.loss).toBeCloseTo(referenceDist(small).loss, 5);
    }
  });

  it('reports DEGENERATE from the threaded kernel as a DistInputError, and stays usable', async () => {
    const constantRows = { student: new Float32Array(64 * 8).fill(1), teacher: logits(64 * 8, 2, 3), shape: [64, 8] as const, options: { eps: 0 } };
    await expect(pooled.compute(constantRows)).rejects.toMatchObject({ name: 'DistInputError', code: 'DEGENERATE' });
    await expect(pooled.compute(request(64, 8, 2))).resolves.toHaveProperty('loss');
  });

  it('says which logit is bad although the float32 path does not read the values before the kernel', async () => {
    const req = request(64, 600, 2);
    const student = (req.student as Float32Array).slice();
    student[5 * 600 + 17] = Number.POSITIVE_INFINITY;
    await expect(pooled.compute({ ...req, student })).rejects.toMatchObject({ code: 'NON_FINITE', message: expect.stringContaining('student') });
    const teacher = (req.teacher as Float32Array).slice();
    teacher[3] = 4e38 as number;
    await expect(pooled.compute({ ...req, student: new Float64Array(req.student as Float32Array), teacher: new Float64Array(teacher) })).rejects.toMatchObject({ code: 'NON_FINITE' });
  });

  it('rejects bad input with core validation codes', async () => {
    for (const backend of [float64, single]) {
      await expect(backend.compute({ student: [[1, 2]], teacher: [[1, 2, 3]] })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
      await expect(backend.compute({ student: [[NaN]], teacher: [[1]] })).rejects.toMatchObject({ code: 'NON_FINITE' });
    }
  });

  it('refuses, before allocating, a call too large for a WebAssembly memory', async () => {
    // [2, 30,000,000] needs about 5.8 GB of kernel memory (its per-class arrays dominate), past the 4 GiB
    // of wasm32. The logits' pages are never touched: the float32 path reads no value before the kernel.
    const wide = new Float32Array(2 * 30_000_000);
    const call = single.compute({ student: wide, teacher: wide, shape: [2, 30_000_000] });
    await expect(call).rejects.toMatchObject({ name: 'MemoryLimitError', code: 'MEMORY_LIMIT', message: expect.stringMatching(/MiB.*at most 4096 MiB/) });
    // Nothing was kept: a normal call still runs.
    await expect(single.compute(request(8, 8, 1))).resolves.toHaveProperty('loss');
  });

  it('refuses to run after dispose', async () => {
    const backend = createCpuBackend({ threads: 2 });
    await backend.dispose();
    await expect(backend.compute(request(2, 2, 1))).rejects.toMatchObject({ name: 'DistUsageError', code: 'BACKEND_DISPOSED' });
    expect(() => backend.computeSync(request(2, 2, 1))).toThrow(expect.objectContaining({ code: 'BACKEND_DISPOSED' }));
  });

  it('reports its path and thread count in availability()', async () => {
    await expect(pooled.availability()).resolves.toMatchObject({ available: true, details: { path: 'cpu', threads: '2' } });
    await expect(float64.availability()).resolves.toMatchObject({ available: true, details: { path: 'cpu-float64', threads: '1' } });
    expect(pooled.name).toBe('cpu');
    expect(float64.name).toBe('cpu-float64');
  });

  it('takes the variants float32 and float64, and rejects others', async () => {
    const made = createBackend({ variant: 'float64' });
    expect(made.precision).toBe('float64');
    await made.dispose();
    expect(() => createBackend({ variant: 'gpu' })).toThrow(
      expect.objectContaining({ name: 'DistUsageError', code: 'UNKNOWN_VARIANT', message: expect.stringMatching(/float32, float64/) }),
    );
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

describe('createCpuBackend options', () => {
  it.each([
    [{ threads: 0 }, /threads must be an integer from 1 to \d+, got 0/],
    [{ threads: 2.5 }, /threads must be an integer.*got 2\.5/],
    [{ threads: '4' }, /threads must be an integer.*got "4"/],
    [{ threads: NaN }, /threads must be an integer.*got NaN/],
    // One job slot per worker in the kernel's shared memory: a larger pool would overrun them.
    [{ threads: MAX_THREADS + 1 }, new RegExp(`threads must be an integer from 1 to ${MAX_THREADS}, got ${MAX_THREADS + 1}`)],
    [{ precision: 'float16' }, /precision must be 'float32' or 'float64', got "float16"/],
    [{ parallelThreshold: -1 }, /parallelThreshold must be a number of elements >= 0/],
    [{ memoryLimitBytes: -5 }, /memoryLimitBytes must be a finite number of bytes above 0, got -5/],
    [{ memoryLimitBytes: Infinity }, /memoryLimitBytes must be a finite number/],
    [{ thread: 4 }, /unknown option "thread"; the options are precision, threads, parallelThreshold, memoryLimitBytes/],
  ])('refuses %o with BAD_OPTION, before anything starts', (options, message) => {
    let error: unknown;
    try {
      createCpuBackend(options as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DistInputError);
    expect((error as DistInputError).code).toBe('BAD_OPTION');
    expect((error as Error).message).toMatch(message);
  });

});

import { afterAll, describe, expect, it } from 'vitest';
import { createBackend } from '../src/index.js';
import { badRequests, logits } from './helpers.js';

const backend = createBackend();
afterAll(() => backend.dispose());

async function codeOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('bad input gets the typed errors of core', () => {
  const good = { student: logits(12, 1), teacher: logits(12, 2), shape: [3, 4] as const };
  for (const [name, request, code] of badRequests()) {
    it(name, async () => expect(await codeOf(backend.compute(request))).toBe(code));
  }

  // compute leaves the value check to the row kernel's flag and reads the values only then.
  it('a NaN logit is NON_FINITE with its position', async () => {
    const student = logits(12, 1);
    student[6] = NaN;
    await expect(backend.compute({ ...good, student })).rejects.toThrow(/student\[1, 2\] is NaN/);
  });

  it('a finite float32 logit that overflows once divided by tau is NON_FINITE with its position', async () => {
    const teacher = logits(12, 2);
    teacher[11] = 1e36;
    const request = { ...good, teacher, options: { tau: 1e-3 } };
    await expect(backend.compute(request)).rejects.toThrow(/teacher\[2, 3\] = .* overflows once divided by tau/);
  });

  it('eps = 0 with a flat row is DEGENERATE, not NaN', async () => {
    const flat = new Float32Array(12).fill(0.5);
    const request = { student: flat, teacher: logits(12, 3), shape: [3, 4] as const, options: { eps: 0 }, gradient: true };
    expect(await codeOf(backend.compute(request))).toBe('DEGENERATE');
  });

  it('eps = 0 with varied rows and columns computes a finite loss', async () => {
    const result = await backend.compute({ ...good, options: { eps: 0 }, gradient: true });
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(result.gradient!.every(Number.isFinite)).toBe(true);
  });

  it('the backend still works after rejected requests', async () => {
    const result = await backend.compute({ ...good, gradient: true });
    expect(Number.isFinite(result.loss)).toBe(true);
  });
});

describe('a lost device', () => {
  it('fails the next call with BACKEND_RUNTIME instead of hanging', async () => {
    const own = createBackend();
    const request = { student: logits(40, 5), teacher: logits(40, 6), shape: [4, 10] as const, gradient: true };
    await own.compute(request);
    (await own.device()).destroy();
    await expect(own.compute(request)).rejects.toMatchObject({ code: 'BACKEND_RUNTIME' });
    await expect(own.compute(request)).rejects.toThrow(/device was lost|reading results back failed/);
    await own.dispose();
  });

  it('fails a call in flight when the device is destroyed under it', async () => {
    const own = createBackend();
    const request = { student: logits(4000, 7), teacher: logits(4000, 8), shape: [40, 100] as const, gradient: true };
    await own.compute(request);
    const inFlight = own.compute(request);
    (await own.device()).destroy();
    const outcome = await inFlight.then(
      () => 'resolved',
      (error: { code?: string }) => error.code,
    );
    // The work may have finished before the destroy; it must not hang, and a failure is typed.
    expect(['resolved', 'BACKEND_RUNTIME']).toContain(outcome);
    await expect(own.compute(request)).rejects.toMatchObject({ code: 'BACKEND_RUNTIME' });
    await own.dispose();
  });
});

describe('dispose', () => {
  it('rejects calls after dispose', async () => {
    const own = createBackend();
    await own.dispose();
    await expect(own.compute({ student: logits(4, 1), teacher: logits(4, 2), shape: [2, 2] })).rejects.toMatchObject({
      name: 'DistUsageError',
      code: 'BACKEND_DISPOSED',
    });
  });
});

describe('memory guard', () => {
  it('refuses a call above memoryLimitBytes with MEMORY_LIMIT, compute and bind', async () => {
    const own = createBackend({ memoryLimitBytes: 2 ** 20 });
    const wide = { student: logits(64 * 1024, 1), teacher: logits(64 * 1024, 2), shape: [64, 1024] as const, gradient: true };
    await expect(own.compute(wide)).rejects.toMatchObject({ name: 'MemoryLimitError', code: 'MEMORY_LIMIT', limitBytes: 2 ** 20 });
    await expect(own.bind(wide)).rejects.toMatchObject({ code: 'MEMORY_LIMIT' });
    await expect(own.compute({ student: logits(12, 1), teacher: logits(12, 2), shape: [3, 4] })).resolves.toHaveProperty('loss');
    await own.dispose();
  });
});

import { describe, expect, it } from 'vitest';
import { BackendLifecycle, checkMemory, createReferenceBackend, hostMemoryLimit, checkTauRange, resolveOptions, tauRange, unknownVariantError, validateRequest } from '../src/index.js';

describe('tauRange', () => {
  it('keeps tau^2 normal and the largest loss 2^32 times below overflow in the precision', () => {
    const float32 = tauRange('float32', { beta: 2, gamma: 2 });
    expect(float32.min).toBe(2 ** -63);
    expect(2 * 4 * float32.max ** 2 * 2 ** 32).toBeLessThanOrEqual(3.4028234663852886e38);
    expect(float32.max / 9.95e13).toBeCloseTo(1, 2);
    expect(tauRange('float64', { beta: 2, gamma: 2 }).max).toBeGreaterThan(1e148);
  });

  it('rejects tau outside the range with BAD_OPTION, saying the range', () => {
    expect(() => checkTauRange(resolveOptions({ tau: 2e19 }), 'float32')).toThrow(/outside \[1\.08e-19, 9\.95e\+13\]/);
    expect(() => validateRequest({ student: [[1, 2]], teacher: [[2, 1]], options: { tau: 1e-30 } }, 'float32')).toThrow(
      expect.objectContaining({ code: 'BAD_OPTION' }),
    );
    expect(() => validateRequest({ student: [[1, 2]], teacher: [[2, 1]], options: { tau: 1e-30 } }, 'float64')).not.toThrow();
  });
});

describe('BackendLifecycle', () => {
  it('lets a call in flight finish before dispose releases, and rejects later calls', async () => {
    const lifecycle = new BackendLifecycle('test');
    const events: string[] = [];
    let finish!: () => void;
    const call = lifecycle.run(() => new Promise<string>((resolve) => (finish = () => resolve('done'))));
    const disposing = lifecycle.dispose(() => {
      events.push('released');
    });
    await Promise.resolve();
    expect(events).toEqual([]);
    finish();
    await expect(call).resolves.toBe('done');
    await disposing;
    expect(events).toEqual(['released']);
    await expect(lifecycle.run(async () => 1)).rejects.toMatchObject({ name: 'DistUsageError', code: 'BACKEND_DISPOSED' });
    await expect(
      lifecycle.dispose(() => {
        events.push('again');
      }),
    ).resolves.toBeUndefined();
    expect(events).toEqual(['released']);
  });

  it('runs the work of a call synchronously, so that it reads the caller\'s arrays before returning', () => {
    const lifecycle = new BackendLifecycle('test');
    let ran = false;
    void lifecycle.run(async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  it('releases the live bindings when the backend is disposed', async () => {
    const lifecycle = new BackendLifecycle('test');
    const released: string[] = [];
    const calls = (name: string) => ({
      compute: async () => ({ loss: 1, inter: 0, intra: 0 }),
      readGradient: async () => new Float64Array(1),
      release: () => {
        released.push(name);
      },
    });
    const a = lifecycle.bind(calls('a'));
    lifecycle.bind(calls('b'));
    await a.dispose();
    await lifecycle.dispose(() => undefined);
    expect(released).toEqual(['a', 'b']);
    await expect(a.compute(true)).rejects.toMatchObject({ code: 'BACKEND_DISPOSED' });
  });
});

it('unknownVariantError lists the variants', () => {
  expect(unknownVariantError('cpu', 'gpu', [])).toMatchObject({ name: 'DistUsageError', code: 'UNKNOWN_VARIANT', message: expect.stringMatching(/no variants/) });
});

describe('memory guards', () => {
  it('refuse a call above the limit before allocating, saying the estimate and the limit', () => {
    const model = { perElement: 80, perRow: 700, perClass: 1300 };
    expect(() => checkMemory('x', model, 2, 50_000_000, { bytes: 2 ** 33, what: "this machine's memory" })).toThrow(
      expect.objectContaining({ name: 'MemoryLimitError', code: 'MEMORY_LIMIT', limitBytes: 2 ** 33, message: expect.stringMatching(/\[2, 50000000\] logits need about 67\.99 GiB \(80 bytes per logit\), more than the 8\.00 GiB of this machine's memory; split the batch/) }),
    );
    expect(() => checkMemory('x', model, 2, 1000, { bytes: 2 ** 33, what: 'it' })).not.toThrow();
  });

  it("know this machine's memory in Node", () => {
    expect(hostMemoryLimit()?.bytes).toBeGreaterThan(2 ** 28);
    expect(hostMemoryLimit(1234)).toEqual({ bytes: 1234, what: 'memoryLimitBytes' });
  });

  it('are applied by the reference backend to compute and bind', async () => {
    const backend = createReferenceBackend({ memoryLimitBytes: 2 ** 20 });
    const wide = { student: new Float64Array(64 * 1024), teacher: new Float64Array(64 * 1024).fill(1), shape: [64, 1024] as const };
    await expect(backend.compute(wide)).rejects.toMatchObject({ code: 'MEMORY_LIMIT', limitBytes: 2 ** 20 });
    await expect(backend.bind!(wide)).rejects.toMatchObject({ code: 'MEMORY_LIMIT' });
    await expect(backend.compute({ student: [[1, 2]], teacher: [[2, 1]] })).resolves.toHaveProperty('loss');
  });
});

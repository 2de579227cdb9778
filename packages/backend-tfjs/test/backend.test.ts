import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { referenceDist } from '@dist-kd/core';
import { createBackend, TFJS_VARIANTS } from '../src/index.js';
import { cases, relativeError } from './helpers.js';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('createBackend', () => {
  it('names every variant as core registers it', () => {
    expect(TFJS_VARIANTS).toEqual([
      'auto',
      'node',
      'webgpu',
      'webgl',
      'wasm',
      'cpu',
      'ops-wasm',
      'ops-cpu',
    ]);
    expect(createBackend().name).toBe('tfjs');
    expect(createBackend({ variant: 'ops-wasm' }).name).toBe('tfjs-ops-wasm');
    // The naive baseline is the bench's (apps/bench), not a variant this package ships.
    expect(() => createBackend({ variant: 'naive-wasm' })).toThrow(expect.objectContaining({ code: 'UNKNOWN_VARIANT' }));
    expect(() => createBackend({ variant: 'gpu' })).toThrow(expect.objectContaining({ name: 'DistUsageError', code: 'UNKNOWN_VARIANT', message: expect.stringMatching(/unknown variant "gpu"/) }));
  });

  const computedBy: Record<string, string> = {
    wasm: 'DIST WebAssembly SIMD kernel',
    cpu: 'DIST WebAssembly SIMD kernel',
    'ops-wasm': 'fused tfjs ops',
    'ops-cpu': 'fused tfjs ops',
  };
  for (const [variant, implementation] of Object.entries(computedBy)) {
    it(`${variant}: available, reports its device and implementation, matches the reference`, async () => {
      const backend = createBackend({ variant });
      const availability = await backend.availability();
      expect(availability).toMatchObject({ available: true, details: { computedBy: implementation } });
      expect((availability as { device: string }).device).toMatch(variant.endsWith('wasm') ? /^tfjs wasm \(SIMD/ : /^tfjs cpu/);
      expect((availability as { device: string }).device).toContain(`, ${implementation}`);
      for (const c of cases()) {
        const request = { student: c.student, teacher: c.teacher, shape: c.shape, options: c.options, gradient: true };
        const result = await backend.compute(request);
        const expected = referenceDist(request);
        expect(Math.abs(result.loss - expected.loss)).toBeLessThan(2e-5 * Math.max(1, expected.loss));
        expect(Math.abs(result.inter - expected.inter)).toBeLessThan(2e-5);
        expect(Math.abs(result.intra - expected.intra)).toBeLessThan(2e-5);
        expect(result.gradient).toBeInstanceOf(Float32Array);
        expect(relativeError(result.gradient!, expected.gradient!)).toBeLessThan(2e-4);
      }
      await backend.dispose();
    });
  }

  it('returns the gradient in the student array type and skips it when not asked', async () => {
    const backend = createBackend({ variant: 'wasm' });
    const student = [[1, 2, 3], [0, 1, -1]];
    const teacher = [[3, 2, 1], [1, 1, 0]];
    const withGradient = await backend.compute({ student, teacher, gradient: true });
    expect(withGradient.gradient).toBeInstanceOf(Float64Array);
    const without = await backend.compute({ student, teacher });
    expect(without.gradient).toBeUndefined();
    expect(without.loss).toBeCloseTo(withGradient.loss, 6);
  });

  it('auto picks the best tfjs backend that starts here and says which', async () => {
    const availability = await createBackend({ variant: 'auto' }).availability();
    // No tfjs-node, WebGPU or WebGL on this machine: wasm is the best that runs.
    expect(availability).toMatchObject({ available: true, details: { tfjsBackend: 'wasm' } });
  });

  it('rejects bad input with the shared codes, and eps = 0 degeneracy as DEGENERATE', async () => {
    for (const variant of ['wasm', 'cpu']) {
      const backend = createBackend({ variant });
      const flat = Float32Array.from([1, 1, 1, 0, 1, 2]);
      const other = Float32Array.from([0, 1, 2, 2, 1, 0]);
      expect(await codeOf(backend.compute({ student: flat, teacher: other }))).toBe('BAD_SHAPE');
      expect(await codeOf(backend.compute({ student: flat, teacher: other, shape: [2, 3], options: { eps: 0 } }))).toBe('DEGENERATE');
      expect(await codeOf(backend.compute({ student: [[Number.NaN]], teacher: [[0]] }))).toBe('NON_FINITE');
    }
  });

  it('gives a finite gradient for a zero-variance row in the official eps placement (the limit, not sqrt\'(0))', async () => {
    const request = { student: [[1, 2, 3]], teacher: [[3, 1, 2]], options: { epsMode: 'official' as const }, gradient: true };
    const fused = await createBackend({ variant: 'wasm' }).compute(request);
    expect(Array.from(fused.gradient!).every(Number.isFinite)).toBe(true);
  });
});

describe('tfjs backends that cannot run here say why and what to do', () => {
  it('node: tfjs-node is missing or has no native addon (it cannot be installed here)', async () => {
    const backend = createBackend({ variant: 'node' });
    const availability = await backend.availability();
    expect(availability).toMatchObject({
      available: false,
      reason: expect.stringMatching(/^@tensorflow\/tfjs-node (is not installed|is installed but failed to load: .*tfjs_binding)/),
      hint: expect.stringMatching(/npm install @tensorflow\/tfjs-node/),
    });
    const error = await backend.compute({ student: [[1, 2]], teacher: [[2, 1]] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE', backend: 'tfjs-node' });
    expect((error as Error).message).toMatch(/npm install @tensorflow\/tfjs-node/);
  });

  it('webgl: needs a browser', async () => {
    expect(await createBackend({ variant: 'webgl' }).availability()).toMatchObject({
      available: false,
      reason: expect.stringMatching(/WebGL needs a browser/),
    });
  });

  it('webgpu: the webgpu package finds no adapter when Vulkan has no driver', async () => {
    // Dawn reads the driver list when it starts; a list naming no real file leaves it without an adapter.
    process.env.VK_ICD_FILENAMES = '/nonexistent/vulkan-icd.json';
    delete process.env.VK_DRIVER_FILES;
    const availability = await createBackend({ variant: 'webgpu' }).availability();
    expect(availability).toMatchObject({ available: false, reason: expect.stringMatching(/found no adapter/) });
    expect((availability as { hint: string }).hint).toMatch(/VK_ICD_FILENAMES/);
  });
});

describe('memory guard', () => {
  it.each(['wasm', 'cpu'])('tfjs-%s refuses a call above the limit with MEMORY_LIMIT before allocating, and computes below it', async (variant) => {
    // 64x1022 needs about 2.6 MiB of WebAssembly memory (40 bytes per logit: C is not a multiple of 4).
    const backend = createBackend({ variant, memoryLimitBytes: 2 ** 21 });
    const wide = { student: new Float32Array(64 * 1022).fill(1), teacher: new Float32Array(64 * 1022), shape: [64, 1022] as const, gradient: true };
    await expect(backend.compute({ student: [[1, 2, 3]], teacher: [[3, 2, 1]], gradient: true })).resolves.toHaveProperty('loss');
    const tensors = tf.memory().numTensors;
    await expect(backend.compute(wide)).rejects.toMatchObject({ name: 'MemoryLimitError', code: 'MEMORY_LIMIT', limitBytes: 2 ** 21 });
    await expect(backend.bind!(wide)).rejects.toMatchObject({ code: 'MEMORY_LIMIT' });
    expect(tf.memory().numTensors).toBe(tensors);
    await backend.dispose();
  });
});

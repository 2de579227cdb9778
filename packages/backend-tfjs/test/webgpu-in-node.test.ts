/**
 * tfjs-webgpu in Node: with the optional `webgpu` package (Dawn) installed, the webgpu variant
 * provides `navigator.gpu` itself.
 */
import './swiftshader-fallback.js';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceDist, type DistBackend } from '@dist-kd/core';
import { createBackend } from '../src/index.js';
import { cases, relativeError } from './helpers.js';

describe('auto on a machine whose only WebGPU adapter is software', () => {
  it('passes the emulated GPU by for wasm', async () => {
    const { startPlatform } = await import('../src/tfjs-platform.js');
    const ready = await startPlatform('auto');
    expect(ready.platform).toBe('wasm');
  }, 120_000);
});

describe('tfjs webgpu in Node through the webgpu package', () => {
  let backend: DistBackend;
  afterAll(async () => backend?.dispose());

  it('is available and matches the float64 reference', async () => {
    backend = await createBackend({ variant: 'webgpu' });
    const availability = await backend.availability();
    expect(availability).toMatchObject({ available: true, details: { tfjsBackend: 'webgpu' } });
    for (const c of cases().slice(0, 3)) {
      const request = { student: c.student, teacher: c.teacher, shape: c.shape, options: c.options, gradient: true };
      const result = await backend.compute(request);
      const expected = referenceDist(request);
      expect(Math.abs(result.loss - expected.loss)).toBeLessThan(1e-4 * Math.max(1, expected.loss));
      expect(relativeError(result.gradient!, expected.gradient!)).toBeLessThan(1e-3);
    }
  }, 120_000);
});

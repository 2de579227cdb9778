import { describe, expect, it } from 'vitest';
import { dawnWebGpu } from '@dist-kd/core';
import { findGpu, importDawn } from '../src/gpu-source.js';
import { createBackend } from '../src/index.js';

/** A stand-in for navigator.gpu whose adapter request gives `adapter` (or throws). */
function fakeGpu(requestAdapter: () => Promise<GPUAdapter | null>): GPU {
  return { requestAdapter, getPreferredCanvasFormat: () => 'rgba8unorm', wgslLanguageFeatures: new Set() } as unknown as GPU;
}

describe('availability', () => {
  it('reports the adapter, and a software adapter as software', async () => {
    const backend = createBackend();
    const availability = await backend.availability();
    expect(availability.available).toBe(true);
    if (!availability.available) return;
    expect(availability.device).toMatch(/^WebGPU: /);
    expect(Object.keys(availability.details ?? {})).toEqual(
      expect.arrayContaining(['vendor', 'architecture', 'device', 'description']),
    );
    // This repo's tests run on SwiftShader unless a hardware driver is configured.
    const named = JSON.stringify(availability.details).toLowerCase();
    if (/swiftshader|lavapipe|llvmpipe/.test(named)) expect(availability.software).toBe(true);
    await backend.dispose();
  });

  it('says why and what to install when there is no adapter', async () => {
    const backend = createBackend({ gpu: fakeGpu(async () => null) });
    const availability = await backend.availability();
    expect(availability).toMatchObject({ available: false, reason: expect.stringMatching(/no adapter/) });
    expect(availability.available === false && availability.hint).toMatch(/VK_ICD_FILENAMES|driver/);
    await expect(backend.compute({ student: [[1, 2]], teacher: [[2, 1]] })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
  });

  it('never throws, even when probing the GPU throws', async () => {
    const backend = createBackend({
      gpu: fakeGpu(async () => {
        throw new Error('driver exploded');
      }),
    });
    await expect(backend.availability()).resolves.toMatchObject({
      available: false,
      reason: expect.stringMatching(/driver exploded/),
    });
  });
});

describe('the GPU entry point in Node', () => {
  it("is core's one Dawn instance per process, which backend-tfjs gives tfjs-webgpu too", async () => {
    const lookup = await dawnWebGpu(importDawn);
    expect(lookup.dawn).toBeDefined();
    expect((await findGpu()).gpu).toBe(lookup.dawn!.gpu);
    expect((await dawnWebGpu(() => Promise.reject(new Error('not called: the instance exists')))).dawn!.gpu).toBe(lookup.dawn!.gpu);
  });
});

import { afterAll, describe, it } from 'vitest';
import { defineConformanceTests } from '@dist-kd/conformance';
import { createBackend } from '../src/index.js';

// The full suite (golden files, properties, bad input) on the two tfjs backends that run everywhere,
// each through the SIMD kernel, and through the fused tfjs ops that webgl, webgpu and node use.
for (const variant of ['wasm', 'cpu', 'ops-wasm', 'ops-cpu']) {
  defineConformanceTests(() => createBackend({ variant }), {
    test: it,
    describe,
    afterAll,
    title: `conformance: tfjs-${variant}`,
    features: { bind: true },
  });
}

import { afterAll, describe, it } from 'vitest';
import { defineConformanceTests } from '@dist-kd/conformance';
import { createBackend } from '../src/index.js';

// The full suite (golden files, properties, bad input) on the two tfjs backends that run everywhere,
// each through the SIMD kernel, and through the fused tfjs ops that webgl, webgpu and node use; the
// shards of one batch on each (the SIMD kernel's two phases, and the ops' for ops-* and sigmoid).
for (const variant of ['wasm', 'cpu', 'ops-wasm', 'ops-cpu']) {
  defineConformanceTests(() => createBackend({ variant }), {
    test: it,
    describe,
    afterAll,
    title: `conformance: tfjs-${variant}`,
    features: { bind: true, shards: true },
  });
}

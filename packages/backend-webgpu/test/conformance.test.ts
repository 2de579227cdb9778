/**
 * The whole conformance suite (bundled PyTorch golden files, property checks, bad input) on this
 * backend, plus the golden sample that core's tests use, each case within its float32 tolerances.
 */
import { fileURLToPath } from 'node:url';
import { defineConformanceTests } from '@dist-kd/conformance';
import { afterAll, describe, it } from 'vitest';
import { createBackend } from '../src/index.js';

const coreSample = fileURLToPath(new URL('../../core/test/fixtures/golden-sample.json', import.meta.url));

defineConformanceTests(() => createBackend(), {
  test: it,
  describe,
  afterAll,
  title: 'webgpu conformance',
  golden: [coreSample],
  // The backend offers bind (bound logits) and shards (a batch split by rows): their checks run too.
  features: { bind: true, shards: true },
});

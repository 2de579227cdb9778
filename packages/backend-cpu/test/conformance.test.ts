import { afterAll, describe, it } from 'vitest';
import { defineConformanceTests } from '@dist-kd/conformance';
import { createBackend, createCpuBackend } from '../src/index.js';

// The full suite (golden files, properties, bad input, bind) on each path: the SIMD kernel as users
// get it, the same split across three threads from the smallest inputs up (so that the merge of the
// threads' column statistics meets every golden case), and the float64 TypeScript path.
const paths = [
  ['cpu', () => createBackend()],
  ['cpu on three threads from one element up', () => createCpuBackend({ threads: 3, parallelThreshold: 0 })],
  ['cpu-float64', () => createBackend({ variant: 'float64' })],
] as const;
// The float64 path takes seconds for the larger checks when turbo runs every package's tests at once
// on two cores: a minute per check, so that only a hang (not a busy machine) fails one.
const CHECK_TIMEOUT_MS = 60_000;
const test = (name: string, run: () => Promise<void>) => it(name, run, CHECK_TIMEOUT_MS);
for (const [title, create] of paths) {
  defineConformanceTests(create, { test, describe, afterAll, title: `conformance: ${title}`, features: { bind: true, shards: true } });
}

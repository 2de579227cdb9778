#!/usr/bin/env node
/**
 * Self-contained check for a machine with a real GPU (no tfjs): correctness against core's float64
 * reference at a few sizes (one run split into chunks by a small binding limit, and a determinism
 * check), then forward and forward+backward times. Prints one JSON object; exits 1 if a check fails.
 * Needs the built dist/ of this package and of @dist-kd/core, and the `webgpu` package:
 *   pnpm build && node packages/backend-webgpu/scripts/gpu-check.mjs [--repeats 20]
 * On Linux, Vulkan must find the GPU's driver (e.g. VK_DRIVER_FILES=/path/to/nvidia_icd.json).
 */
import { parseArgs } from 'node:util';
import { referenceDist } from '@dist-kd/core';
import { createBackend } from '../dist/index.js';

const { values } = parseArgs({ options: { repeats: { type: 'string', default: '20' } } });
const repeats = Number(values.repeats);

function logits(count, seed, scale) {
  const out = new Float32Array(count);
  let state = seed >>> 0 || 1;
  for (let k = 0; k < count; k++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[k] = (state / 2 ** 32 - 0.5) * scale;
  }
  return out;
}

function compare(result, reference) {
  let gradientError = 0;
  let gradientScale = 0;
  for (let k = 0; k < reference.gradient.length; k++) {
    gradientError = Math.max(gradientError, Math.abs(result.gradient[k] - reference.gradient[k]));
    gradientScale = Math.max(gradientScale, Math.abs(reference.gradient[k]));
  }
  const lossError = Math.abs(result.loss - reference.loss) / Math.abs(reference.loss);
  const relativeGradientError = gradientError / (gradientScale || 1);
  return {
    loss: result.loss,
    referenceLoss: reference.loss,
    lossRelativeError: lossError,
    interError: Math.abs(result.inter - reference.inter),
    intraError: Math.abs(result.intra - reference.intra),
    gradientRelativeError: relativeGradientError,
    ok: lossError < 2e-5 && relativeGradientError < 2e-4,
  };
}

const report = { adapter: undefined, correctness: [], timings: [], ok: true };
const backend = createBackend();
report.adapter = await backend.availability();
if (!report.adapter.available) {
  console.log(JSON.stringify(report, null, 2));
  process.exit(1);
}
const device = await backend.device();
report.limits = {
  maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
  maxBufferSize: device.limits.maxBufferSize,
};

const checks = [
  { B: 4, C: 5, scale: 4, options: {} },
  { B: 256, C: 1000, scale: 1e-3, options: { tau: 8 }, note: 'near-uniform rows' },
  { B: 64, C: 1000, scale: 40, options: { tau: 1, epsMode: 'official' }, note: 'peaked rows, official eps' },
  { B: 1024, C: 1000, scale: 8, options: {} },
  { B: 128, C: 32000, scale: 8, options: {} },
  { B: 1000, C: 300, scale: 8, options: {}, binding: 1 << 16, note: 'split into chunks by a 64 KiB binding limit' },
];
for (const check of checks) {
  const request = {
    student: logits(check.B * check.C, check.B + 1, check.scale),
    teacher: logits(check.B * check.C, check.C + 7, check.scale),
    shape: [check.B, check.C],
    options: check.options,
    gradient: true,
  };
  const own = check.binding ? createBackend({ maxStorageBindingBytes: check.binding }) : backend;
  const result = await own.compute(request);
  const again = await own.compute(request);
  const deterministic = again.loss === result.loss && again.gradient.every((g, k) => Object.is(g, result.gradient[k]));
  const entry = { shape: `${check.B}x${check.C}`, note: check.note, options: check.options, deterministic, ...compare(result, referenceDist(request)) };
  entry.ok = entry.ok && deterministic;
  report.ok &&= entry.ok;
  report.correctness.push(entry);
  if (own !== backend) await own.dispose();
}

async function median(run) {
  await run();
  const times = [];
  for (let k = 0; k < repeats; k++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return Number(times[Math.floor(times.length / 2)].toFixed(3));
}

for (const [B, C] of [
  [256, 1000],
  [1024, 1000],
  [128, 32000],
]) {
  const request = { student: logits(B * C, 1, 8), teacher: logits(B * C, 2, 8), shape: [B, C] };
  const forwardMs = await median(() => backend.compute(request));
  const forwardBackwardMs = await median(() => backend.compute({ ...request, gradient: true }));
  report.timings.push({ shape: `${B}x${C}`, repeats, forwardMs, forwardBackwardMs });
}
await backend.dispose();
console.log(JSON.stringify(report, null, 2));
process.exit(report.ok ? 0 : 1);

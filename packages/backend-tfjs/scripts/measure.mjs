// Guides work on the fused loss; the bench app makes the published comparisons.
// Forward + backward through DistBackend.compute (upload, compute, read back) for the SIMD kernel
// (`wasm`, `cpu`) and the fused tfjs ops on the same tfjs backend (`ops-wasm`, `ops-cpu`), run
// alternately so that both see the same machine load. The naive baseline is the bench's:
// pnpm bench --backends tfjs-wasm,tfjs-naive-wasm.
// Reports wall-time medians and minima (the minimum is the least disturbed by other processes on a
// busy machine) and CPU-time medians (tfjs wasm/cpu run on one thread).
// Usage: pnpm --filter @dist-kd/backend-tfjs build && node packages/backend-tfjs/scripts/measure.mjs [wasm] [cpu]
import { createBackend } from '../dist/index.js';

const platforms = process.argv.length > 2 ? process.argv.slice(2) : ['wasm', 'cpu'];
const sizes = [
  [256, 1000],
  [1024, 1000],
];

function logits(length, seed) {
  const values = new Float32Array(length);
  let state = seed;
  for (let k = 0; k < length; k++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    values[k] = (state / 2 ** 32 - 0.5) * 8;
  }
  return values;
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

async function timeOnce(backend, request) {
  const wall = performance.now();
  const cpu = cpuMs();
  await backend.compute(request);
  return { wall: performance.now() - wall, cpu: cpuMs() - cpu };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

for (const platform of platforms) {
  const kernel = createBackend({ variant: platform });
  const ops = createBackend({ variant: `ops-${platform}` });
  for (const [B, C] of sizes) {
    const request = { student: logits(B * C, 1), teacher: logits(B * C, 2), shape: [B, C], gradient: true };
    const runs = platform === 'cpu' ? 5 : 21;
    const times = { kernel: [], ops: [] };
    for (let k = 0; k < runs + 2; k++) {
      const k1 = await timeOnce(kernel, request);
      const o = await timeOnce(ops, request);
      if (k < 2) continue; // warm-up
      times.kernel.push(k1);
      times.ops.push(o);
    }
    const report = (kind, statistic) => {
      const kernelMs = statistic(times.kernel.map((t) => t[kind]));
      const opsMs = statistic(times.ops.map((t) => t[kind]));
      return `kernel ${kernelMs.toFixed(2)} ms, fused ops ${opsMs.toFixed(2)} ms, ratio ${(opsMs / kernelMs).toFixed(1)}x`;
    };
    console.log(
      `${platform} ${B}x${C} (${runs} runs each) wall median: ${report('wall', median)}; ` +
        `wall min: ${report('wall', (values) => Math.min(...values))}; cpu median: ${report('cpu', median)}`,
    );
  }
}

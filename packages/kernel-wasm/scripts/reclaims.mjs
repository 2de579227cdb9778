// How many parts of a call the calling thread takes back because no worker had claimed them yet,
// over 50 calls of [B, C] on two threads: a diagnostic of the hand-off (it wraps the pool's private
// `reclaim`, so it follows src/threads/pool.ts).
// Usage: pnpm --filter @dist-kd/kernel-wasm build && node packages/kernel-wasm/scripts/reclaims.mjs [B C]
import { resolveOptions } from '@dist-kd/core';
import { ParallelSimdKernel } from '../dist/index.js';

const [B, C] = process.argv.length > 3 ? process.argv.slice(2, 4).map(Number) : [256, 1000];
const student = Float32Array.from({ length: B * C }, (_, k) => Math.sin(k) * 4);
const teacher = Float32Array.from({ length: B * C }, (_, k) => Math.cos(k * 1.3) * 4);
const kernel = new ParallelSimdKernel({ threads: 2, owner: 'reclaims' });
const pool = kernel.pool;
let reclaimed = 0;
let parts = 0;
const reclaim = pool.reclaim.bind(pool);
pool.reclaim = (part) => {
  parts++;
  const taken = reclaim(part);
  if (taken) reclaimed++;
  return taken;
};
const bytes = ParallelSimdKernel.matrixBytes(B, C);
const [s, t, g] = [kernel.allocate(bytes), kernel.allocate(bytes), kernel.allocate(bytes)];
kernel.write(student, B, C, s);
kernel.write(teacher, B, C, t);
// Let the worker start before the first call.
await new Promise((resolve) => setTimeout(resolve, 200));
for (let i = 0; i < 50; i++) kernel.run({ batch: B, classes: C }, s, t, g, resolveOptions({}));
console.log(`${B}x${C}: the calling thread took back ${reclaimed} of ${parts} worker parts`);
kernel.dispose();

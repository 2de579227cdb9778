// Median and minimum time of computeSync at 256x1000 (forward+backward, and forward alone) on one
// and two threads, in a tight loop: a figure to set beside the bench's, which times compute().
// Usage: pnpm --filter @dist-kd/backend-cpu build &&
//   MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000 node packages/backend-cpu/scripts/compute-sync-loop.mjs
// (the allocator settings are the bench's: apps/bench/src/allocator.ts)
import { createCpuBackend } from '../dist/index.js';

const [B, C] = [256, 1000];
const student = Float32Array.from({ length: B * C }, (_, k) => Math.sin(k) * 4);
const teacher = Float32Array.from({ length: B * C }, (_, k) => Math.cos(k * 1.3) * 4);
const median = (times) => times.sort((a, b) => a - b)[Math.floor(times.length / 2)];

for (const threads of [1, 2]) {
  const cpu = createCpuBackend({ threads });
  const request = { student, teacher, shape: [B, C], gradient: true };
  for (let i = 0; i < 30; i++) cpu.computeSync(request);
  const time = (req) =>
    Array.from({ length: 100 }, () => {
      const start = performance.now();
      cpu.computeSync(req);
      return performance.now() - start;
    });
  const both = time(request);
  const forward = time({ ...request, gradient: false });
  console.log(`${threads} thread(s): forward+backward median ${median(both).toFixed(3)} ms, min ${Math.min(...both).toFixed(3)} ms; forward median ${median(forward).toFixed(3)} ms`);
  await cpu.dispose();
}

// Where a call of the threaded kernel spends its time, as backend-cpu makes it: copying both logit
// matrices in, the kernel's forward and backward phases (timed by wrapping the part runners), a new
// gradient array and copying the gradient out; median ms over 2 s of calls, for each thread count.
// Two copies started at once with `--threads 1` show whether the machine's cores share their work.
// Usage: pnpm --filter @dist-kd/kernel-wasm build &&
//   MALLOC_MMAP_THRESHOLD_=67108864 node packages/kernel-wasm/scripts/call-profile.mjs [B C] [--threads N,...]
import { resolveOptions } from '@dist-kd/core';
import { ParallelSimdKernel } from '../dist/index.js';

const args = process.argv.slice(2);
const threadsAt = args.indexOf('--threads');
const threadCounts = threadsAt >= 0 ? args[threadsAt + 1].split(',').map(Number) : [1, 2];
const [B, C] = args.filter((a, k) => !a.startsWith('--') && !(threadsAt >= 0 && k === threadsAt + 1)).map(Number);
const [batch, classes] = [B || 256, C || 1000];
const student = Float32Array.from({ length: batch * classes }, (_, k) => Math.sin(k) * 4);
const teacher = Float32Array.from({ length: batch * classes }, (_, k) => Math.cos(k * 1.3) * 4);
const options = resolveOptions({});
const median = (values) => values.sort((a, b) => a - b)[values.length >> 1]?.toFixed(3);

for (const threads of threadCounts) {
  const kernel = new ParallelSimdKernel({ threads, owner: 'call-profile' });
  const bytes = ParallelSimdKernel.matrixBytes(batch, classes);
  const [s, t, g] = [kernel.allocate(bytes), kernel.allocate(bytes), kernel.allocate(bytes)];
  // Let the workers start before the first call.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const times = { write: [], forward: [], backward: [], run: [], allocate: [], read: [] };
  // The runners are the kernel's private parts: this follows src/parallel-kernel.ts.
  for (const runner of new Set([kernel.runner, kernel.single])) {
    for (const phase of ['forward', 'backward']) {
      const original = runner[phase].bind(runner);
      runner[phase] = (...call) => {
        const start = performance.now();
        const result = original(...call);
        times[phase].push(performance.now() - start);
        return result;
      };
    }
  }
  const end = performance.now() + 2000;
  while (performance.now() < end) {
    const t0 = performance.now();
    kernel.write(student, batch, classes, s);
    kernel.write(teacher, batch, classes, t);
    const t1 = performance.now();
    kernel.run({ batch, classes }, s, t, g, options);
    const t2 = performance.now();
    const gradient = new Float32Array(batch * classes);
    const t3 = performance.now();
    kernel.read(g, batch, classes, gradient);
    const t4 = performance.now();
    times.write.push(t1 - t0);
    times.run.push(t2 - t1);
    times.allocate.push(t3 - t2);
    times.read.push(t4 - t3);
  }
  const phases = Object.entries(times).map(([name, values]) => `${name} ${median(values)}`);
  console.log(`${batch}x${classes}, ${kernel.threads} thread(s), ${times.run.length} calls, median ms: ${phases.join(', ')}`);
  kernel.dispose();
}

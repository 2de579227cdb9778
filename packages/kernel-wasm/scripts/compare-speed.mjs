// Times this build's kernel against another build's, side by side on one thread, interleaved, so
// that a loaded machine slows both alike: median CPU ms per forward+backward call (process CPU time,
// which a loaded machine's waits for a core do not count) and the ratio, the same for the
// fastest call (which other work inflates the least), and whether both builds return the same bits
// (loss and gradient).
// Run after `pnpm build`:
//   node packages/kernel-wasm/scripts/compare-speed.mjs OTHER/src/generated/dist-kernel-wasm.ts [BxC ...]
// (copy the other build's generated file to a .mjs name first: it is plain JavaScript).
import { mulberry32, resolveOptions } from '@dist-kd/core';
import { SimdKernel, ownMemoryHost, simdKernelModule } from '../dist/index.js';

const [otherPath, ...sizeArgs] = process.argv.slice(2);
if (!otherPath) throw new Error('usage: compare-speed.mjs OTHER-dist-kernel-wasm.mjs [BxC ...]');
const { DIST_KERNEL_WASM } = await import(new URL(otherPath, `file://${process.cwd()}/`).href);
const other = new WebAssembly.Module(Buffer.from(DIST_KERNEL_WASM, 'base64'));
const sizes = (sizeArgs.length ? sizeArgs : ['256x1000', '1024x1000', '128x32000']).map((s) => s.split('x').map(Number));
const options = resolveOptions({});

function logits(count, random) {
  return Float32Array.from({ length: count }, () => (random() + random() + random() - 1.5) * 6);
}

const median = (values) => values.slice().sort((a, b) => a - b)[values.length >> 1];
console.log('| size | this build (CPU ms) | other build (CPU ms) | this / other | fastest: this / other | same bits |\n| --- | --- | --- | --- | --- | --- |');
for (const [B, C] of sizes) {
  const random = mulberry32(1);
  const student = logits(B * C, random);
  const teacher = logits(B * C, random);
  const kernels = [simdKernelModule(), other].map((module) => {
    const kernel = new SimdKernel(module, ownMemoryHost(), 'compare-speed');
    const gradient = new Float32Array(B * C);
    return () => ({ loss: kernel.run({ values: student }, { values: teacher }, B, C, options, { values: gradient }).loss, gradient });
  });
  const [first, second] = kernels.map((run) => run());
  const sameBits = Object.is(first.loss, second.loss) && first.gradient.every((value, k) => Object.is(value, second.gradient[k]));
  const times = [[], []];
  const started = performance.now();
  for (let round = 0; round < 400 && (round < 20 || performance.now() - started < 6000); round++) {
    for (let k = 0; k < 2; k++) {
      const t0 = process.cpuUsage();
      kernels[k]();
      const { user, system } = process.cpuUsage(t0);
      times[k].push((user + system) / 1000);
    }
  }
  // The first rounds warm the engine up.
  const [mine, theirs] = times.map((t) => median(t.slice(5)));
  const [fastestMine, fastestTheirs] = times.map((t) => Math.min(...t.slice(5)));
  console.log(`| ${B}x${C} | ${mine.toFixed(3)} | ${theirs.toFixed(3)} | ${(mine / theirs).toFixed(3)} | ${(fastestMine / fastestTheirs).toFixed(3)} | ${sameBits ? 'yes' : 'no'} |`);
}

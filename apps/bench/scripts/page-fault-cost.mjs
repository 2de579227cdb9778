// What a fresh large array costs here: allocates and fills arrays of B*C floats, as a backend's
// result gradient is, and counts the page faults the process takes doing it (Linux: minflt in
// /proc/self/stat). Prints the median time per array and the time per fault. The bench's allocator
// settings (src/allocator.ts) exist because on the project's VMs each fault costs about 13 µs.
// Usage: node apps/bench/scripts/page-fault-cost.mjs [floats per array, default 256000]
import { readFileSync } from 'node:fs';

const minorFaults = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7]);
const floats = Number(process.argv[2] ?? 256000);
const times = [];
const faultsBefore = minorFaults();
const start = performance.now();
for (let i = 0; i < 60; i++) {
  const t = performance.now();
  new Float32Array(floats).fill(2);
  times.push(performance.now() - t);
}
const elapsed = performance.now() - start;
const faults = minorFaults() - faultsBefore;
times.sort((a, b) => a - b);
console.log(
  `${floats} floats (${((floats * 4) / 4096).toFixed(0)} pages) per array: median ${times[30].toFixed(3)} ms, ` +
    `${(faults / 60).toFixed(0)} page faults per array, ${((elapsed * 1000) / Math.max(faults, 1)).toFixed(1)} µs per fault`,
);

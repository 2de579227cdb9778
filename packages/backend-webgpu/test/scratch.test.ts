import { it } from 'vitest';
import { createBackend } from '../src/index.js';
import { referenceDist } from '@dist-kd/core';
it('scratch', async () => {
const b = createBackend();
console.log(await b.availability());
function rnd(n: number, s: number) { const a = new Float32Array(n); let x = 1; for (let i = 0; i < n; i++) { x = (x * 16807) % 2147483647; a[i] = ((x / 2147483647) - 0.5) * s; } return a; }
for (const [B, C, scale] of [[4, 5, 3], [16, 100, 5], [64, 1000, 0.01], [33, 257, 20]]) {
  const s = rnd(B * C, scale), t = rnd(B * C, scale * 1.3).reverse();
  const req = { student: s, teacher: t, shape: [B, C] as [number, number], gradient: true };
  const r = await b.compute(req);
  const ref = referenceDist(req);
  let md = 0, mg = 0;
  for (let k = 0; k < B * C; k++) { md = Math.max(md, Math.abs(r.gradient![k] - ref.gradient![k])); mg = Math.max(mg, Math.abs(ref.gradient![k])); }
  console.log(B, C, r.loss, ref.loss, r.inter - ref.inter, r.intra - ref.intra, 'grad maxdiff', md, 'maxgrad', mg);
}
await b.dispose();
});

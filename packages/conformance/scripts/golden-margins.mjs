#!/usr/bin/env node
// How close a backend comes to each golden case's tolerance: prints, per case, |error| / tolerance
// for the loss and the worst gradient element, largest first. Run after `pnpm build`:
//   node packages/conformance/scripts/golden-margins.mjs <backend> [golden.json ...]
import { loadBackend } from '@dist-kd/core';
import { BUNDLED_GOLDEN, forPrecision, goldenLabel, loadGoldenFiles } from '@dist-kd/conformance';

const [spec = 'reference', ...extra] = process.argv.slice(2);
const backend = await loadBackend(spec);
const files = await loadGoldenFiles(extra.length ? extra : BUNDLED_GOLDEN);
const Typed = backend.precision === 'float32' ? Float32Array : Float64Array;
const rows = [];
for (const file of files) {
  for (const c of file.cases) {
    const tol = forPrecision({ loss: c.tol.loss_atol, gradient: c.tol.grad_atol }, backend.precision);
    const result = await backend.compute({
      student: Typed.from(c.logits_s),
      teacher: Typed.from(c.logits_t),
      shape: [c.B, c.C],
      options: { beta: c.beta, gamma: c.gamma, tau: c.tau, eps: c.eps, epsMode: c.eps_mode ?? 'design-note' },
      gradient: true,
    });
    let gradient = 0;
    c.grad_s.forEach((g, k) => (gradient = Math.max(gradient, Math.abs(result.gradient[k] - g))));
    rows.push({ case: `${goldenLabel(file)}/${c.name}`, loss: Math.abs(result.loss - c.loss) / tol.loss, gradient: gradient / tol.gradient });
  }
}
await backend.dispose();
rows.sort((a, b) => Math.max(b.loss, b.gradient) - Math.max(a.loss, a.gradient));
console.log(`${backend.name} (${backend.precision}): error / tolerance, largest first`);
for (const r of rows) console.log(`${r.case.padEnd(44)} loss ${r.loss.toFixed(4)}  gradient ${r.gradient.toFixed(4)}`);

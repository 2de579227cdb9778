#!/usr/bin/env node
/**
 * Precision of wide rows (issue #14): this backend (built dist/) and the design note's PyTorch class
 * in float32 (`/usr/bin/python3` with torch, run on the very same float32 logits), each against
 * core's float64 reference, for both eps placements. Prints one JSON line per shape and placement:
 * the gradient's max |g - g_ref| / max |g_ref| and the loss's relative error. Run from the package
 * folder:
 *   pnpm build && node scripts/vulkan-env.mjs node scripts/wide-precision.mjs [BxC ...] [--no-torch] [--scale 3]
 * (default shapes 2x262144 and 2x1000000; logits are 3 * N(0, 1), seeded, as the bench's torch check.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { create, globals } from 'webgpu';
import { mulberry32, referenceDist, resolveOptions } from '@dist-kd/core';

const { values, positionals } = parseArgs({
  options: { 'no-torch': { type: 'boolean', default: false }, scale: { type: 'string', default: '3' }, python: { type: 'string', default: '/usr/bin/python3' } },
  allowPositionals: true,
});
const shapes = (positionals.length ? positionals : ['2x262144', '2x1000000']).map((s) => s.split('x').map(Number));
const scale = Number(values.scale);
const placements = ['design-note', 'official'];

const dawn = create([]);
Object.assign(globalThis, globals);
const { createBackend } = await import('../dist/index.js');
const backend = createBackend({ gpu: dawn });
const availability = await backend.availability();
if (!availability.available) throw new Error(`webgpu unavailable: ${availability.reason}`);

function gaussianLogits(count, seed) {
  const random = mulberry32(seed);
  const out = new Float32Array(count);
  for (let k = 0; k < count; k += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    out[k] = scale * radius * Math.cos(angle);
    if (k + 1 < count) out[k + 1] = scale * radius * Math.sin(angle);
  }
  return out;
}

function maxAbs(values) {
  let max = 0;
  for (let k = 0; k < values.length; k++) max = Math.max(max, Math.abs(values[k]));
  return max;
}

function gradientError(gradient, reference) {
  let max = 0;
  for (let k = 0; k < reference.length; k++) max = Math.max(max, Math.abs(gradient[k] - reference[k]));
  return max / maxAbs(reference);
}

const TORCH_SCRIPT = `
import sys, numpy, torch
sys.path.insert(0, sys.argv[1])
from dist_design_note import make_dist, loss_and_gradients
folder, B, C = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
beta, gamma, tau, eps = (float(v) for v in sys.argv[5:9])
s = torch.from_numpy(numpy.fromfile(folder + '/student.f32', dtype=numpy.float32).reshape(B, C))
t = torch.from_numpy(numpy.fromfile(folder + '/teacher.f32', dtype=numpy.float32).reshape(B, C))
loss, grad, _ = loss_and_gradients(make_dist(beta, gamma, tau, eps, sys.argv[9]), s, t)
grad.numpy().astype(numpy.float32).tofile(folder + '/grad.f32')
print(float(loss))
`;
const goldenScripts = fileURLToPath(new URL('../../conformance/scripts', import.meta.url));

/** The design note's class in float32 on the same logits, or why it could not run. */
function torchFloat32(folder, B, C, options) {
  const args = ['-c', TORCH_SCRIPT, goldenScripts, folder, B, C, options.beta, options.gamma, options.tau, options.eps, options.epsMode].map(String);
  const run = spawnSync(values.python, args, { encoding: 'utf8' });
  if (run.status !== 0) return { error: (run.stderr || run.error?.message || 'failed').trim().split('\n').pop() };
  const bytes = readFileSync(join(folder, 'grad.f32'));
  return { loss: Number(run.stdout.trim()), gradient: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
}

const folder = mkdtempSync(join(tmpdir(), 'dist-kd-wide-'));
try {
  for (const [B, C] of shapes) {
    const student = gaussianLogits(B * C, 11 + C);
    const teacher = gaussianLogits(B * C, 29 + C);
    writeFileSync(join(folder, 'student.f32'), student);
    writeFileSync(join(folder, 'teacher.f32'), teacher);
    for (const epsMode of placements) {
      const options = resolveOptions({ epsMode });
      const request = { student, teacher, shape: [B, C], options, gradient: true };
      const reference = referenceDist(request);
      const webgpu = await backend.compute(request);
      const line = {
        shape: `${B}x${C}`,
        epsMode,
        adapter: availability.device,
        maxAbsGradient: maxAbs(reference.gradient),
        webgpu: { gradient: gradientError(webgpu.gradient, reference.gradient), loss: Math.abs(webgpu.loss - reference.loss) / reference.loss },
      };
      if (!values['no-torch']) {
        const torch = torchFloat32(folder, B, C, options);
        line.torchFloat32 = torch.error
          ? { error: torch.error }
          : { gradient: gradientError(torch.gradient, reference.gradient), loss: Math.abs(torch.loss - reference.loss) / reference.loss };
      }
      console.log(JSON.stringify(line));
    }
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
  await backend.dispose();
}

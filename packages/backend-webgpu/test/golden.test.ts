import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EpsMode } from '@dist-kd/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackend } from '../src/index.js';

interface GoldenCase {
  name: string;
  B: number;
  C: number;
  beta: number;
  gamma: number;
  tau: number;
  eps: number;
  eps_mode?: EpsMode;
  logits_s: number[];
  logits_t: number[];
  loss: number;
  inter: number;
  intra: number;
  grad_s: number[];
  tol?: { loss_atol: number; grad_atol: number };
}

// The PyTorch golden sample core's tests use (format dist-golden/1, see SPEC.md).
const samplePath = fileURLToPath(new URL('../../core/test/fixtures/golden-sample.json', import.meta.url));
const sample = JSON.parse(readFileSync(samplePath, 'utf8')) as { format: string; cases: GoldenCase[] };

const backend = createBackend();
afterAll(() => backend.dispose());

describe('webgpu against the PyTorch golden sample, within its float32 tolerances', () => {
  it('reads a dist-golden/1 file', () => expect(sample.format).toBe('dist-golden/1'));
  for (const c of sample.cases) {
    it(c.name, async () => {
      const tol = c.tol ?? { loss_atol: 1e-4 * Math.abs(c.loss), grad_atol: 1e-4 };
      const result = await backend.compute({
        student: Float32Array.from(c.logits_s),
        teacher: Float32Array.from(c.logits_t),
        shape: [c.B, c.C],
        options: { beta: c.beta, gamma: c.gamma, tau: c.tau, eps: c.eps, epsMode: c.eps_mode ?? 'design-note' },
        gradient: true,
      });
      expect(Math.abs(result.loss - c.loss)).toBeLessThanOrEqual(tol.loss_atol);
      c.grad_s.forEach((g, k) => expect(Math.abs(result.gradient![k] - g)).toBeLessThanOrEqual(tol.grad_atol));
    });
  }
});

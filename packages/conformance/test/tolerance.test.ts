import { resolveOptions } from '@dist-kd/core';
import { describe, expect, it } from 'vitest';
import { FLOAT64_SCALE, forPrecision, loadGoldenFiles, modelTolerance, termTolerance } from '../src/index.js';
import { caseOptions } from '../src/checks/golden-checks.js';
import { roundingSign } from '../src/tolerance.js';

describe('tolerance model', async () => {
  const files = await loadGoldenFiles();

  it('gives the tol the Python generator wrote into every bundled case (same model, same samples)', () => {
    for (const c of files.flatMap((f) => f.cases)) {
      const model = modelTolerance({
        student: c.logits_s,
        teacher: c.logits_t,
        shape: c.shape ?? [c.B, c.C],
        layout: c.layout,
        mask: c.mask,
        options: caseOptions(c),
      });
      if (c.tol!.loss_atol === 0) {
        // No kept row: exactly zero, in both models.
        expect(model, c.name).toEqual({ loss: 0, gradient: 0 });
        continue;
      }
      expect(model.loss / c.tol!.loss_atol, c.name).toBeCloseTo(1, 6);
      expect(model.gradient / c.tol!.grad_atol, c.name).toBeCloseTo(1, 6);
    }
  });

  it('rounds some values up and some down', () => {
    const signs = Array.from({ length: 64 }, (_, k) => roundingSign(k / 8, 8, 0));
    expect(signs).toContain(1);
    expect(signs).toContain(-1);
  });

  it('tightens float64 tolerances by FLOAT64_SCALE and splits the loss tolerance by weight', () => {
    expect(forPrecision({ loss: 1, gradient: 2 }, 'float64')).toEqual({ loss: FLOAT64_SCALE, gradient: 2 * FLOAT64_SCALE });
    expect(forPrecision({ loss: 1, gradient: 2 }, 'float32')).toEqual({ loss: 1, gradient: 2 });
    expect(termTolerance(8, { beta: 2, gamma: 0, tau: 2, tauSquared: true }, 'inter')).toBe(1);
    expect(termTolerance(8, { beta: 2, gamma: 0, tau: 2, tauSquared: true }, 'intra')).toBe(1);
  });
});

import { referenceDist, resolveOptions } from '@dist-kd/core';
import { describe, expect, it } from 'vitest';
import { FLOAT64_SCALE, forPrecision, loadGoldenFiles, modelTolerance, referenceRounding, termTolerance } from '../src/index.js';
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

describe('tolerance model at the edges the issue found', () => {
  const nearUniform = (B: number, C: number, scale: number) =>
    Float64Array.from({ length: B * C }, (_, k) => Math.fround(scale * Math.sin(k * 0.7 + (k % 13))));

  it('rejects an all-zero gradient on wide near-uniform rows (2x120000): the floor carries max p', () => {
    const [B, C] = [2, 120_000];
    const student = nearUniform(B, C, 1e-2);
    const teacher = nearUniform(B, C, 1e-2).map((v, k) => Math.fround(v + 1e-3 * Math.cos(k)));
    const options = resolveOptions({});
    const { gradient } = referenceDist({ student, teacher, shape: [B, C], options, gradient: true });
    let largest = 0;
    for (const g of gradient!) largest = Math.max(largest, Math.abs(g));
    const tolerance = modelTolerance({ student, teacher, shape: [B, C], options });
    // An all-zero gradient is off by `largest`: it must be outside the tolerance.
    expect(tolerance.gradient).toBeLessThan(largest);
  }, 120_000);

  it('models rows of 262,144 classes without overflowing the call stack', () => {
    const [B, C] = [1, 262_144];
    const logits = nearUniform(B, C, 3);
    const tolerance = modelTolerance({ student: logits, teacher: logits.map((v) => -v), shape: [B, C], options: resolveOptions({ tau: 1 }) });
    expect(Number.isFinite(tolerance.gradient) && tolerance.gradient > 0).toBe(true);
  }, 120_000);

  it("gives float64 backends room for the golden values' own float64 rounding in cancelling sums", () => {
    const [B, C] = [64, 4000];
    const student = nearUniform(B, C, 3);
    const teacher = nearUniform(B, C, 3).map((v, k) => Math.fround(v * Math.cos(k)));
    const input = { student, teacher, shape: [B, C] as const, options: resolveOptions({ epsMode: 'official', beta: 1, gamma: 1, tau: 1 }) };
    const float64 = forPrecision(modelTolerance(input), 'float64', input);
    // At least the worst case of rounding B + C terms of the gradient's size in float64.
    const floor = referenceRounding(input);
    expect(float64.gradient).toBeGreaterThanOrEqual(floor.gradient);
    expect(floor.gradient).toBeGreaterThan(FLOAT64_SCALE * modelTolerance(input).gradient);
  }, 120_000);
});

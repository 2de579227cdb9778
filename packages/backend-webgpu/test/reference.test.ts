import type { DistOptions } from '@dist-kd/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackend } from '../src/index.js';
import { expectMatchesReference, logits } from './helpers.js';

const backend = createBackend();
afterAll(() => backend.dispose());

interface Case {
  name: string;
  B: number;
  C: number;
  scale?: number;
  offset?: number;
  options?: Partial<DistOptions>;
}

const cases: Case[] = [
  { name: 'small, design-note defaults', B: 4, C: 5 },
  { name: 'B not a multiple of the workgroup', B: 33, C: 257, scale: 20 },
  { name: 'wide rows', B: 8, C: 3000 },
  { name: 'tall columns', B: 700, C: 3 },
  { name: 'tau = 1, peaked rows', B: 16, C: 100, scale: 30, options: { tau: 1 } },
  { name: 'official eps placement', B: 12, C: 40, options: { epsMode: 'official', beta: 1, gamma: 1, tau: 1 } },
  {
    // Tiny tail probabilities down a column: lost if stored as p - 1/C (the column correlation with
    // eps outside the roots then turns rounding noise into an O(1) correlation).
    name: 'official eps, peaked rows',
    B: 6,
    C: 10,
    scale: 80,
    options: { epsMode: 'official', beta: 1, gamma: 1, tau: 1 },
  },
  { name: 'near-uniform rows (tiny logits, large tau)', B: 64, C: 1000, scale: 1e-3, options: { tau: 8 } },
  { name: 'large offset (max subtraction)', B: 10, C: 50, scale: 2, offset: 1e4 },
  { name: 'beta, gamma, eps', B: 9, C: 11, options: { beta: 0.5, gamma: 3, eps: 1e-5 } },
  { name: 'B = 1 (intra = 1)', B: 1, C: 7 },
  { name: 'C = 1 (inter = 1)', B: 6, C: 1 },
  { name: 'sigmoid', B: 9, C: 30, options: { activation: 'sigmoid' } },
  // Every value near 1/2: kept as p - 1/2 (from expm1), whose small deviations p itself rounds away.
  { name: 'sigmoid, values near 1/2 (tiny logits, large tau)', B: 64, C: 200, scale: 1e-3, options: { activation: 'sigmoid', tau: 8 } },
  // Tiny and near-1 values in one row: kept as p, tiny values with their relative precision.
  { name: 'sigmoid, large logits, official eps', B: 12, C: 40, scale: 60, options: { activation: 'sigmoid', tau: 1, epsMode: 'official' } },
  { name: 'sigmoid, large offset', B: 10, C: 50, scale: 2, offset: 30, options: { activation: 'sigmoid', tau: 4 } },
];

describe('webgpu matches the float64 reference', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const request = {
        student: logits(c.B * c.C, 11 + c.B, c.scale, c.offset),
        teacher: logits(c.B * c.C, 97 + c.C, c.scale, c.offset),
        shape: [c.B, c.C] as const,
        options: c.options,
        gradient: true,
      };
      expectMatchesReference(await backend.compute(request), request);
    });
  }

  it('returns no gradient unless asked, and the same scalars', async () => {
    const request = { student: logits(60, 1), teacher: logits(60, 2), shape: [6, 10] as const };
    const withoutGradient = await backend.compute(request);
    expectMatchesReference(withoutGradient, request);
    const withGradient = await backend.compute({ ...request, gradient: true });
    expect(withGradient.loss).toBe(withoutGradient.loss);
  });

  it('gives a Float64Array gradient for float64 or nested inputs, Float32Array for float32', async () => {
    const rows = [
      [0.5, -1, 2],
      [3, 0, -0.25],
    ];
    const nested = await backend.compute({ student: rows, teacher: rows.map((r) => r.map((v) => -v)), gradient: true });
    expect(nested.gradient).toBeInstanceOf(Float64Array);
    const float32 = await backend.compute({
      student: Float32Array.from(rows.flat()),
      teacher: Float32Array.from(rows.flat()),
      shape: [2, 3],
      gradient: true,
    });
    expect(float32.gradient).toBeInstanceOf(Float32Array);
    expectMatchesReference(nested, { student: rows, teacher: rows.map((r) => r.map((v) => -v)), gradient: true });
  });

  it('reuses one workspace across shapes and calls without mixing them up', async () => {
    const shapes: [number, number][] = [
      [5, 9],
      [17, 4],
      [5, 9],
    ];
    const results = await Promise.all(
      shapes.map(([B, C], k) => {
        const request = { student: logits(B * C, k + 1), teacher: logits(B * C, k + 50), shape: [B, C] as const, gradient: true };
        return backend.compute(request).then((result) => expectMatchesReference(result, request));
      }),
    );
    expect(results).toHaveLength(3);
  });
});

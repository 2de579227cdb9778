import { referenceDist, type DistRequest, type DistResult } from '@dist-kd/core';
import { expect } from 'vitest';

/** Deterministic pseudo-random logits (a 32-bit LCG), uniform in [-scale/2, scale/2] plus an offset. */
export function logits(count: number, seed: number, scale = 4, offset = 0): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0 || 1;
  for (let k = 0; k < count; k++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[k] = (state / 2 ** 32 - 0.5) * scale + offset;
  }
  return out;
}

/** Float32 tolerances against the float64 reference: relative to the size of what is compared. */
export const TOLERANCE = { scalarRelative: 2e-5, scalarAbsolute: 2e-6, gradientRelative: 2e-4 };

export function expectMatchesReference(result: DistResult, request: DistRequest): DistResult {
  const reference = referenceDist(request);
  const close = (actual: number, expected: number, scale: number) =>
    expect(Math.abs(actual - expected)).toBeLessThanOrEqual(TOLERANCE.scalarRelative * Math.abs(scale) + TOLERANCE.scalarAbsolute);
  close(result.loss, reference.loss, reference.loss);
  close(result.inter, reference.inter, 1);
  close(result.intra, reference.intra, 1);
  if (request.gradient) {
    expect(result.gradient).toBeDefined();
    expect(result.gradient!.length).toBe(reference.gradient!.length);
    expect(maxAbsDifference(result.gradient!, reference.gradient!)).toBeLessThanOrEqual(
      TOLERANCE.gradientRelative * maxAbs(reference.gradient!) + 1e-9,
    );
  } else {
    expect(result.gradient).toBeUndefined();
  }
  return reference;
}

export function maxAbs(values: ArrayLike<number>): number {
  let max = 0;
  for (let k = 0; k < values.length; k++) max = Math.max(max, Math.abs(values[k]));
  return max;
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let k = 0; k < a.length; k++) max = Math.max(max, Math.abs(a[k] - b[k]));
  return max;
}

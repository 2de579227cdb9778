import type { DistOptions, DistRequest } from '@dist-kd/core';

/** Deterministic logits: a Lehmer generator scaled to [-scale, scale]. */
export function logits(length: number, scale: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let state = seed;
  for (let k = 0; k < length; k++) {
    state = (state * 48271) % 2147483647;
    out[k] = ((state / 2147483647) * 2 - 1) * scale;
  }
  return out;
}

export function request(batch: number, classes: number, scale: number, options: Partial<DistOptions> = {}): DistRequest {
  return {
    student: logits(batch * classes, scale, 1 + batch),
    teacher: logits(batch * classes, scale, 7 + classes),
    shape: [batch, classes],
    options,
    gradient: true,
  };
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
  return worst;
}

export function maxAbs(a: ArrayLike<number>): number {
  return maxAbsDifference(a, new Float64Array(a.length));
}

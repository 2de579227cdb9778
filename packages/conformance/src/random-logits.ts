/** Seeded logits for the property checks. */
import { mulberry32 } from '@dist-kd/core';

/** Logits lie on this grid: exact in float32, and shifts by grid multiples stay exact. */
export const LOGIT_GRID = 2 ** -10;
const LARGEST = 15;

/** B*C normal logits of standard deviation `scale`, rounded to LOGIT_GRID and kept within ±15. */
export function randomLogits(B: number, C: number, seed: number, scale = 3): Float64Array {
  const next = mulberry32(seed);
  const out = new Float64Array(B * C);
  for (let k = 0; k < out.length; k++) {
    // Box-Muller; 1 - next() keeps the logarithm's argument in (0, 1].
    const normal = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    const value = Math.round((normal * scale) / LOGIT_GRID) * LOGIT_GRID;
    out[k] = Math.max(-LARGEST, Math.min(LARGEST, value));
  }
  return out;
}

/** A seeded permutation of 0..n-1 (Fisher-Yates), never the identity for n > 1. */
export function randomPermutation(n: number, seed: number): number[] {
  const next = mulberry32(seed);
  const order = Array.from({ length: n }, (_, k) => k);
  for (let k = n - 1; k > 0; k--) {
    const other = Math.floor(next() * (k + 1));
    [order[k], order[other]] = [order[other], order[k]];
  }
  if (n > 1 && order.every((v, k) => v === k)) order.push(order.shift()!);
  return order;
}

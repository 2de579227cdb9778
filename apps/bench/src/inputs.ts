/** Seeded random logits: the same inputs on every machine and in every backend for a given seed. */
import { mulberry32 } from '@dist-kd/core';
import type { Size } from './sizes.js';

export interface BenchInputs {
  readonly size: Size;
  readonly student: Float32Array;
  readonly teacher: Float32Array;
}

/** Spread of the logits: normal(0, 1) * 3 gives softmax rows that are neither flat nor one-hot at tau = 6. */
export const LOGIT_SCALE = 3;

export function makeInputs(size: Size, seed: number): BenchInputs {
  const random = mulberry32(seed);
  const count = size.batch * size.classes;
  return { size, student: normalArray(count, random), teacher: normalArray(count, random) };
}

function normalArray(count: number, random: () => number): Float32Array {
  const out = new Float32Array(count);
  // Box-Muller makes two normals from two uniforms; 1 - u keeps the log away from 0.
  for (let k = 0; k < count; k += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - random())) * LOGIT_SCALE;
    const angle = 2 * Math.PI * random();
    out[k] = radius * Math.cos(angle);
    if (k + 1 < count) out[k + 1] = radius * Math.sin(angle);
  }
  return out;
}

import * as tf from '@tensorflow/tfjs';
import { referenceDist, type DistOptions, type DistResult } from '@dist-kd/core';

/** Deterministic logits in [-scale, scale), rounded to float32. */
export function randomLogits(batch: number, classes: number, seed: number, scale = 4): Float32Array {
  const values = new Float32Array(batch * classes);
  let state = seed >>> 0;
  for (let k = 0; k < values.length; k++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[k] = (state / 2 ** 32 - 0.5) * 2 * scale;
  }
  return values;
}

export interface Case {
  readonly name: string;
  readonly student: Float32Array;
  readonly teacher: Float32Array;
  readonly shape: [number, number];
  readonly options?: Partial<DistOptions>;
}

/** Shapes and regimes that stress the float32 arithmetic in different ways. */
export function cases(): Case[] {
  const make = (name: string, B: number, C: number, scale: number, options?: Partial<DistOptions>): Case => ({
    name,
    student: randomLogits(B, C, 7 * B + C, scale),
    teacher: randomLogits(B, C, 11 * B + C + 1, scale),
    shape: [B, C],
    options,
  });
  const peaked = make('peaked rows (probabilities near e^-40)', 6, 10, 1, { tau: 1 });
  for (let i = 0; i < 6; i++) {
    peaked.student[i * 10 + ((i * 3) % 10)] += 40;
    peaked.teacher[i * 10 + ((i * 7) % 10)] += 40;
  }
  return [
    make('defaults 8x10', 8, 10, 4),
    make('wide 3x300, tau 1', 3, 300, 3, { tau: 1 }),
    make('tall 64x5, tau 4', 64, 5, 5, { tau: 4, beta: 1, gamma: 1 }),
    make('official eps placement', 16, 12, 4, { epsMode: 'official' }),
    make('near-uniform rows (logits ~1e-4, tau 6)', 8, 50, 1e-4),
    make('one sample (B = 1)', 1, 9, 3),
    make('one class (C = 1)', 5, 1, 3),
    // 12 bytes: less than a buffer the WGSL kernels bind as vec4s (kernel-wgsl's forEachInRow).
    make('three values (1x3)', 1, 3, 3),
    make('one sample, official eps', 1, 6, 3, { epsMode: 'official' }),
    peaked,
  ];
}

export const toTensor = (values: Float32Array, shape: [number, number]) => tf.tensor2d(values, shape);

export function reference(c: Case): Required<DistResult> {
  return referenceDist({ student: c.student, teacher: c.teacher, shape: c.shape, options: c.options, gradient: true }) as Required<DistResult>;
}

/** Largest |a - b| over the arrays, relative to the largest |b| (or `floor` if that is smaller). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1): number {
  let scale = floor;
  for (let k = 0; k < expected.length; k++) scale = Math.max(scale, Math.abs(expected[k]));
  let worst = 0;
  for (let k = 0; k < expected.length; k++) worst = Math.max(worst, Math.abs(actual[k] - expected[k]));
  return worst / scale;
}

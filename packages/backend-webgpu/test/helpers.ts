import { referenceDist, type DistInputErrorCode, type DistRequest, type DistResult } from '@dist-kd/core';
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

/** Requests every entry point must reject at validation, with the code it must give: [name, request, code]. */
export function badRequests(): [string, DistRequest, DistInputErrorCode][] {
  const good = { student: logits(12, 1), teacher: logits(12, 2), shape: [3, 4] as const };
  return [
    ['NaN logit', { ...good, student: Float32Array.from([...good.student.slice(0, 11), NaN]) }, 'NON_FINITE'],
    ['float32 overflow', { ...good, teacher: Float64Array.from([...good.teacher.slice(0, 11), 1e39]) }, 'NON_FINITE'],
    ['shape mismatch', { student: [[1, 2, 3]], teacher: [[1, 2]] }, 'SHAPE_MISMATCH'],
    ['wrong length', { ...good, shape: [3, 5] }, 'BAD_SHAPE'],
    ['empty', { student: new Float32Array(0), teacher: new Float32Array(0), shape: [0, 4] }, 'EMPTY'],
    ['unknown option', { ...good, options: { temperature: 2 } as never }, 'BAD_OPTION'],
    ['tau <= 0', { ...good, options: { tau: 0 } }, 'BAD_OPTION'],
  ];
}

/** Buffers a device made since `trackBuffers`: how many, and those not destroyed yet. */
export interface BufferTracker {
  readonly live: ReadonlySet<GPUBuffer>;
  created(): number;
}

/** Wraps `device.createBuffer` (and each new buffer's `destroy`) to count buffers from now on. */
export function trackBuffers(device: GPUDevice): BufferTracker {
  const live = new Set<GPUBuffer>();
  let created = 0;
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (descriptor) => {
    const buffer = createBuffer(descriptor);
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      live.delete(buffer);
      destroy();
    };
    live.add(buffer);
    created++;
    return buffer;
  };
  return { live, created: () => created };
}

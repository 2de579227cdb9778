/**
 * The encoder on its own, as an integration uses it: the caller's device, buffers and command
 * encoder; results read back here only to check them (through Dawn, the `webgpu` package).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceDist, resolveOptions, type DistOptions } from '@dist-kd/core';
import {
  BufferUsage,
  DIST_FLAGS,
  distPipelines,
  DistWorkspace,
  MapMode,
  planForDevice,
  SCALARS_BYTES,
  SOFTWARE_SHAPE,
  TERMS_OFFSET_BYTES,
} from '../src/index.js';

let gpu: GPU;
let device: GPUDevice;

beforeAll(async () => {
  const { create, globals } = (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: object };
  Object.assign(globalThis, globals);
  gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter (see ENVIRONMENT.md: SwiftShader or lavapipe)');
  device = await adapter.requestDevice();
});

afterAll(() => device?.destroy());

function logits(n: number, seed: number, scale = 3): Float32Array<ArrayBuffer> {
  return Float32Array.from({ length: n }, (_, k) => scale * Math.sin(1.3 * k + seed));
}

function storage(values: Float32Array<ArrayBuffer>): GPUBuffer {
  const buffer = device.createBuffer({ size: values.byteLength, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC });
  device.queue.writeBuffer(buffer, 0, values);
  return buffer;
}

async function read(buffer: GPUBuffer, offset: number, bytes: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, offset, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MapMode.READ);
  const values = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return values;
}

/** Encodes one call on caller-owned buffers and reads back the terms and the gradient. */
async function run(B: number, C: number, student: Float32Array<ArrayBuffer>, teacher: Float32Array<ArrayBuffer>, options: DistOptions, maxBindingBytes?: number) {
  const plan = planForDevice(device, B, C, SOFTWARE_SHAPE, maxBindingBytes);
  const workspace = new DistWorkspace(device, distPipelines(device, SOFTWARE_SHAPE), plan);
  const inputs = { student: storage(student), teacher: storage(teacher) };
  const gradient = device.createBuffer({ size: B * C * 4, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC });
  const encoder = device.createCommandEncoder();
  workspace.encode(encoder, options, { inputs, gradient });
  device.queue.submit([encoder.finish()]);
  const [loss, inter, intra, flags] = await read(workspace.scalars, TERMS_OFFSET_BYTES, SCALARS_BYTES - TERMS_OFFSET_BYTES);
  const grad = await read(gradient, 0, B * C * 4);
  for (const buffer of [inputs.student, inputs.teacher, gradient]) buffer.destroy();
  workspace.destroy();
  return { loss, inter, intra, flags, gradient: grad, chunks: plan.chunks.length };
}

function maxRelative(actual: Float32Array, expected: ArrayLike<number>): number {
  let scale = 0;
  let error = 0;
  for (let k = 0; k < actual.length; k++) {
    scale = Math.max(scale, Math.abs(expected[k]));
    error = Math.max(error, Math.abs(actual[k] - expected[k]));
  }
  return error / scale;
}

describe('DistWorkspace.encode', () => {
  for (const [name, maxBindingBytes] of [['one chunk', undefined], ['split into chunks of rows', 2048]] as const) {
    it(`writes the terms and the gradient into the caller's buffers (${name})`, async () => {
      const [B, C] = [23, 37];
      const student = logits(B * C, 1);
      const teacher = logits(B * C, 2);
      const options = resolveOptions({ tau: 2, beta: 1, gamma: 3 });
      const result = await run(B, C, student, teacher, options, maxBindingBytes);
      if (maxBindingBytes) expect(result.chunks).toBeGreaterThan(1);
      const expected = referenceDist({ student, teacher, shape: [B, C], options, gradient: true });
      expect(result.flags).toBe(0);
      expect(Math.abs(result.loss - expected.loss)).toBeLessThan(1e-5 * expected.loss);
      expect(Math.abs(result.inter - expected.inter)).toBeLessThan(1e-5 * expected.inter);
      expect(Math.abs(result.intra - expected.intra)).toBeLessThan(1e-5 * expected.intra);
      expect(maxRelative(result.gradient, expected.gradient!)).toBeLessThan(1e-4);
    });
  }

  it('computes the sigmoid activation when the options ask for it (rows near 1/2, above 1/2 and mixed)', async () => {
    const [B, C] = [6, 16];
    // Rows 0-1 near 1/2 (|z| < 0.5), rows 2-3 all positive, rows 4-5 of both signs.
    const rowScale = [0.3, 0.3, 2, 2, 8, 8];
    const rowShift = [0, 0, 6, 6, 0, 0];
    const make = (seed: number) => Float32Array.from({ length: B * C }, (_, k) => rowShift[Math.floor(k / C)] + rowScale[Math.floor(k / C)] * Math.sin(1.3 * k + seed));
    const [student, teacher] = [make(1), make(2)];
    const options = resolveOptions({ activation: 'sigmoid', tau: 1 });
    const result = await run(B, C, student, teacher, options);
    const expected = referenceDist({ student, teacher, shape: [B, C], options, gradient: true });
    expect(result.flags).toBe(0);
    expect(Math.abs(result.loss - expected.loss)).toBeLessThan(1e-5 * expected.loss);
    expect(maxRelative(result.gradient, expected.gradient!)).toBeLessThan(1e-4);
  });

  it('raises the non-finite flag and makes the loss NaN for a NaN or infinite logit', async () => {
    const student = logits(12, 1);
    student[5] = Number.POSITIVE_INFINITY;
    const result = await run(3, 4, student, logits(12, 2), resolveOptions({}));
    expect(result.flags).toBe(DIST_FLAGS.nonFinite);
    expect(result.loss).toBeNaN();
    expect(result.inter).toBeNaN();
  });

  it('raises the degenerate flag for eps = 0 and a flat row', async () => {
    const student = new Float32Array(12).fill(0.5);
    const result = await run(3, 4, student, logits(12, 2), resolveOptions({ eps: 0 }));
    expect(result.flags).toBe(DIST_FLAGS.degenerate);
    expect(result.loss).toBeNaN();
  });
});

describe('distPipelines', () => {
  it('compiles once per device and kernel shape', () => {
    expect(distPipelines(device, SOFTWARE_SHAPE)).toBe(distPipelines(device, SOFTWARE_SHAPE));
    expect(distPipelines(device, { ...SOFTWARE_SHAPE, columnTile: 32 })).not.toBe(distPipelines(device, SOFTWARE_SHAPE));
  });
});

/**
 * The SIMD kernel's contract with tfjs: it runs in tfjs-backend-wasm's heap without copies where it
 * can, never writes into its input tensors, grows its scratch as shapes grow, and gives the same
 * results in place (classes a multiple of 4) and through padded copies (other class counts).
 */
import * as tf from '@tensorflow/tfjs';
import { referenceDist, DistInputError } from '@dist-kd/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { distLoss, useTfjsPlatform } from '../src/index.js';
import { randomLogits, relativeError } from './helpers.js';

describe('the SIMD kernel on tfjs wasm', () => {
  beforeAll(async () => {
    await useTfjsPlatform('wasm');
  });

  it("finds the heap's memory and malloc it works in (tfjs-backend-wasm's Emscripten exports)", () => {
    // If a tfjs upgrade drops these, the kernel falls back to copies: slower, still right. This
    // test says so before a benchmark does.
    const module = (tf.backend() as unknown as { wasm: { asm?: { memory?: unknown }; _malloc?: unknown; _free?: unknown } }).wasm;
    expect(module.asm?.memory).toBeInstanceOf(WebAssembly.Memory);
    expect(typeof module._malloc).toBe('function');
    expect(typeof module._free).toBe('function');
  });

  it('leaves its input tensors as they were', () => {
    const studentValues = randomLogits(16, 40, 1);
    const teacherValues = randomLogits(16, 40, 2);
    const student = tf.tensor2d(studentValues, [16, 40]);
    const teacher = tf.tensor2d(teacherValues, [16, 40]);
    const gradient = tf.grad((x: tf.Tensor) => distLoss(teacher, x))(student);
    expect(student.dataSync()).toEqual(studentValues);
    expect(teacher.dataSync()).toEqual(teacherValues);
    tf.dispose([student, teacher, gradient]);
  });

  it('is right in place and through padded rows, as shapes grow and shrink', () => {
    // 40 and 1000 classes run in place; 13 and 1001 through padded copies. The large shape makes
    // the scratch block grow; the small ones after it reuse it.
    for (const [batch, classes] of [
      [4, 40],
      [5, 13],
      [64, 1000],
      [7, 1001],
      [4, 40],
    ] as const) {
      const request = { student: randomLogits(batch, classes, batch), teacher: randomLogits(batch, classes, classes), shape: [batch, classes] as [number, number] };
      const expected = referenceDist({ ...request, gradient: true });
      const student = tf.tensor2d(request.student, request.shape);
      const teacher = tf.tensor2d(request.teacher, request.shape);
      const { value, grads } = tf.valueAndGrads((x: tf.Tensor) => distLoss(teacher, x))([student]);
      expect(Math.abs(value.dataSync()[0] - expected.loss), `${batch}x${classes}`).toBeLessThan(2e-5 * expected.loss);
      expect(relativeError(grads[0].dataSync() as Float32Array, expected.gradient!), `${batch}x${classes}`).toBeLessThan(2e-4);
      tf.dispose([student, teacher, value, ...grads]);
    }
  });

  it('rejects an unknown implementation name', () => {
    const logits = tf.tensor2d([[0, 1]]);
    expect(() => distLoss(logits, logits, { implementation: 'gpu' as never })).toThrow(DistInputError);
    expect(() => distLoss(logits, logits, { implementation: 'gpu' as never })).toThrow(/implementation must be one of auto, ops/);
    logits.dispose();
  });
});

describe("the SIMD kernel next to a heap it cannot import", () => {
  it('works through copies when the heap memory is shared (tfjs-backend-wasm multi-threaded build)', async () => {
    const { wasmAccess } = await import('../src/simd/tfjs-kernel.js');
    const { simdKernelModule } = await import('@dist-kd/kernel-wasm');
    const { resolveOptions } = await import('@dist-kd/core');
    const [batch, classes] = [6, 20];
    const heap = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    // A stand-in for tfjs-backend-wasm: tensors are slices of the shared heap, placed one after another.
    let next = 0;
    const offsets = new Map<object, number>();
    const place = (length: number) => {
      const dataId = {};
      offsets.set(dataId, next);
      next += length * 4;
      return dataId;
    };
    const view = (info: tf.TensorInfo) => new Float32Array(heap.buffer, offsets.get(info.dataId)!, info.shape.reduce((a, b) => a * b, 1));
    const fake = {
      wasm: { asm: { memory: heap }, _malloc: () => 0, _free: () => {} },
      getMemoryOffset: (dataId: object) => offsets.get(dataId)!,
      typedArrayFromHeap: view,
      makeOutput: (shape: number[]) => ({ dataId: place(shape.reduce((a, b) => a * b, 1)), shape, dtype: 'float32' as const }),
    };
    const student = fake.makeOutput([batch, classes]);
    const teacher = fake.makeOutput([batch, classes]);
    const studentValues = randomLogits(batch, classes, 3);
    const teacherValues = randomLogits(batch, classes, 4);
    view(student).set(studentValues);
    view(teacher).set(teacherValues);

    const access = wasmAccess(fake, simdKernelModule()!);
    // Its own memory, not the shared heap it could not import.
    expect(access.kernel.memory).not.toBe(heap);
    const gradient = access.output([batch, classes]);
    const options = resolveOptions({});
    const terms = access.kernel.run(access.matrix(student), access.matrix(teacher), batch, classes, options, gradient.target);
    const expected = referenceDist({ student: studentValues, teacher: teacherValues, shape: [batch, classes], options, gradient: true });
    expect(Math.abs(terms.loss - expected.loss)).toBeLessThan(2e-5 * expected.loss);
    expect(relativeError(view(gradient.finish()), expected.gradient!)).toBeLessThan(2e-4);
    // The logits in the heap are untouched.
    expect(view(student)).toEqual(studentValues);
  });
});

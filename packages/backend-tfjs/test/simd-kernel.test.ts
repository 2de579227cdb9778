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

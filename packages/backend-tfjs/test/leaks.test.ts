/**
 * 2,000 calls each of compute, of a binding's compute and readGradient, and of distLoss under
 * tf.grad, on tfjs-wasm and tfjs-cpu: no tensor is left behind, tfjs's memory does not grow, and the
 * JS heap (sampled after GC) does not grow.
 */
import * as tf from '@tensorflow/tfjs';
import { measureLeak, type LeakMeasurement } from '@dist-kd/conformance/leaks';
import { describe, expect, it } from 'vitest';
import { createBackend, distLoss } from '../src/index.js';
import { randomLogits } from './helpers.js';

/** Far below what one tensor or one kept promise per call would retain; above a GC'd heap's noise. */
const HEAP_BYTES_PER_CALL = 512;
/**
 * Over the first few thousand calls the heap still grows by 100 to 300 bytes a call (compiled code,
 * tfjs's caches), then it stays flat (2 and 13 B/call over 10,000): a long warm-up keeps that out.
 */
const WARMED = { warmup: 1000 };

describe.each(['wasm', 'cpu'])('tfjs-%s: 2,000 calls leak nothing', (variant) => {
  it('compute, bound compute, distLoss under tf.grad: tensors, tfjs memory, heap slope', async () => {
    const backend = createBackend({ variant });
    const [B, C] = [8, 16];
    const request = { student: randomLogits(B, C, 1), teacher: randomLogits(B, C, 2), shape: [B, C] as const, gradient: true };
    const bound = await backend.bind!(request);
    const student = tf.tensor2d(request.student, [B, C]);
    const teacher = tf.tensor2d(request.teacher, [B, C]);
    const grad = tf.grad((s: tf.Tensor) => distLoss(teacher, s));
    // First calls: the kernel, the platform and tfjs's caches start here.
    await backend.compute(request);
    await bound.compute(true);
    await bound.readGradient();
    tf.dispose(grad(student));
    const before = tf.memory();

    const measured: Record<string, LeakMeasurement> = {
      compute: await measureLeak(() => backend.compute(request), WARMED),
      // Always with the gradient, so that the binding holds the same tensors at both ends.
      bound: await measureLeak(async (k: number) => {
        await bound.compute(true);
        if (k % 2 === 0) await bound.readGradient();
      }, WARMED),
      'distLoss + tf.grad': await measureLeak(async () => {
        const gradient = grad(student);
        await gradient.data();
        gradient.dispose();
      }, WARMED),
    };
    const after = tf.memory();
    console.info(
      `tfjs-${variant}, 2,000 calls each: ` +
        Object.entries(measured)
          .map(([what, m]) => `${what} ${m.heapBytesPerCall.toFixed(1)} B/call heap, ${m.rssBytesPerCall.toFixed(0)} B/call RSS`)
          .join('; ') +
        `; tensors ${before.numTensors} -> ${after.numTensors}, tfjs bytes ${before.numBytes} -> ${after.numBytes}`,
    );
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    for (const [what, m] of Object.entries(measured)) expect(m.heapBytesPerCall, what).toBeLessThan(HEAP_BYTES_PER_CALL);
    await backend.dispose();
    tf.dispose([student, teacher]);
    // Disposing the backend disposed the binding's three tensors (logits and the kept gradient).
    expect(tf.memory().numTensors).toBe(before.numTensors - 5);
    // About 5 s on a busy 2-core machine.
  }, 60_000);
});

/**
 * Validation that does not stall a GPU step. Reading a scalar synchronously on webgl or webgpu
 * waits for the GPU to finish everything queued before it (and tfjs-webgpu in a browser or in Node
 * cannot read synchronously at all), so there `distLoss` does not read: it starts an asynchronous
 * read of the value that is NaN for bad input (the kernel's loss, or the fused ops' probe) and keeps
 * the logits until the read settles. A bad read becomes the `DistInputError` that says what was
 * wrong, thrown by the next `distLoss` call (the next training step) or by `settleDistLossChecks()`.
 */
import * as tf from '@tensorflow/tfjs';
import type { DistInputError, DistOptions } from '@dist-kd/core';
import { explainNonFiniteValues } from './tensor-checks.js';

const pending = new Set<Promise<void>>();
let failure: DistInputError | undefined;

/**
 * Checks `probe` (finite exactly when the step's input was good) once the GPU has computed it. The
 * caller keeps ownership of its tensors: this takes references of its own (clones share the data).
 */
export function deferCheck(probe: tf.Tensor, teacher: tf.Tensor2D, student: tf.Tensor2D, options: DistOptions): void {
  const kept = tf.tidy(() => [probe, teacher, student].map((tensor) => tf.keep(tf.clone(tensor)))) as [tf.Tensor, tf.Tensor2D, tf.Tensor2D];
  const check = (async () => {
    try {
      const [value] = await kept[0].data();
      if (!Number.isFinite(value)) {
        const error = await explainNonFiniteValues(kept[1], kept[2], options);
        failure ??= error;
      }
    } finally {
      tf.dispose(kept);
    }
  })();
  pending.add(check);
  // A failed read (a lost device) surfaces from settleDistLossChecks; no unhandled rejection meanwhile.
  check.catch(() => undefined).finally(() => pending.delete(check));
}

/** Throws, once, the error a settled deferred check found. Called at the start of every `distLoss`. */
export function throwDeferredFailure(): void {
  if (!failure) return;
  const error = failure;
  failure = undefined;
  throw error;
}

/**
 * Waits for every deferred check of `distLoss` calls so far, then throws the `DistInputError` one of
 * them found. Call it where a training loop wants bad input reported by now (after `model.fit`, at
 * the end of an epoch); without it, the next `distLoss` call throws instead.
 */
export async function settleDistLossChecks(): Promise<void> {
  await Promise.all(pending);
  throwDeferredFailure();
}

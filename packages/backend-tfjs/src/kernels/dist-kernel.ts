/**
 * DIST as one tfjs kernel, `DistKdDist`, whatever backend computes it (as tfjs has one `Softmax`
 * with a config per backend). This file is its contract; `register-all.ts` lists the configs.
 *
 * Inputs: `{ student, teacher }`, float32 [B, C] logits. Attributes: `DistKernelAttrs`.
 * Outputs: loss, inter and intra as float32 scalars (inter and intra unscaled), then, when
 * `gradient` is set, dloss/dstudent as float32 [B, C] for an upstream gradient of 1.
 * Bad input: the loss is NaN whenever a logit is NaN, ±Infinity or beyond core's `logitLimit`
 * (finite once divided by tau), so that callers check values only when the loss is not finite.
 */
import * as tf from '@tensorflow/tfjs';
import type { DistOptions } from '@dist-kd/core';
import type { WholeBatch } from '@dist-kd/kernel-wasm';
import type { DistPass } from '../dist-pass.js';

export const DIST_KERNEL_NAME = 'DistKdDist';

/**
 * Attributes of one call: the resolved options, and whether to compute the gradient; `whole`, read
 * by the SIMD kernel only (`simd/tfjs-kernel.ts`, `servesShards`), makes the rows one shard of a batch
 * whose merged statistics it holds (phase 2 of core's shards).
 */
export type DistKernelAttrs = DistOptions & { readonly gradient: boolean; readonly whole?: WholeBatch };

/** The kernel as a pass: the forward computes the gradient too, kept for the backward. */
export function kernelPass(student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions, gradient: boolean, whole?: WholeBatch): DistPass {
  const attrs: DistKernelAttrs = { ...options, gradient, ...(whole ? { whole } : {}) };
  const [loss, inter, intra, studentGradient] = tf
    .engine()
    .runKernel(DIST_KERNEL_NAME, { student, teacher }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return {
    loss,
    inter,
    intra,
    lossFlagsBadInput: true,
    saved: studentGradient ? [studentGradient] : [],
    backward: (saved, upstream = 1) => {
      if (saved.length === 0) throw new Error('the DIST kernel was run without its gradient');
      return upstream === 1 ? saved[0] : tf.mul(saved[0], upstream);
    },
  };
}

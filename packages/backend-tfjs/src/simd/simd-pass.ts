/** DIST through the SIMD tfjs kernel: the forward computes the gradient too, kept for the backward. */
import * as tf from '@tensorflow/tfjs';
import type { DistOptions } from '@dist-kd/core';
import type { DistPass } from '../dist-pass.js';
import { DIST_KERNEL_NAME, type DistKernelAttrs } from './tfjs-kernel.js';

export function simdPass(student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions, gradient: boolean): DistPass {
  const attrs: DistKernelAttrs = { ...options, gradient };
  const [loss, inter, intra, studentGradient] = tf
    .engine()
    .runKernel(DIST_KERNEL_NAME, { student, teacher }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return {
    loss,
    inter,
    intra,
    // NaN whenever a logit is NaN or ±Infinity (the kernel checks each row's min and max).
    lossFlagsBadInput: true,
    saved: studentGradient ? [studentGradient] : [],
    backward: (saved, upstream = 1) => {
      if (saved.length === 0) throw new Error('simdPass was run without its gradient');
      return upstream === 1 ? saved[0] : tf.mul(saved[0], upstream);
    },
  };
}

/**
 * One forward pass of DIST and the backward that goes with it, on whichever tfjs backend is active:
 * tfjs ops everywhere (`dist-ops.ts`) except tfjs-cpu, which gets float64 loops (`host-dist.ts`).
 */
import * as tf from '@tensorflow/tfjs';
import type { DistOptions } from '@dist-kd/core';
import { opsPass } from './dist-ops.js';
import { hostForward } from './host-dist.js';

export interface DistPass {
  readonly loss: tf.Tensor;
  /** Unscaled means of 1 - corr over rows and over columns. */
  readonly inter: tf.Tensor;
  readonly intra: tf.Tensor;
  /** Tensors the backward reads; `tf.customGrad` keeps them until the backward has run. */
  readonly saved: tf.Tensor[];
  /** dloss/dstudent times `upstream`, from `saved` (or the same tensors, outside a tape). */
  backward(saved: readonly tf.Tensor[], upstream?: tf.Tensor | number): tf.Tensor;
}

/** The caller owns the returned tensors (run it inside `tf.tidy`, or dispose them). */
export function distPass(student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions): DistPass {
  return tf.getBackend() === 'cpu' ? hostPass(student, teacher, options) : opsPass(student, teacher, options);
}

function hostPass(student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions): DistPass {
  const [batch, classes] = student.shape;
  const s = student.dataSync() as Float32Array;
  const t = teacher.dataSync() as Float32Array;
  const forward = hostForward(s, t, batch, classes, options);
  return {
    loss: tf.scalar(forward.loss),
    inter: tf.scalar(forward.inter),
    intra: tf.scalar(forward.intra),
    // The backward reads plain arrays held by `forward`, so tfjs keeps no tensors for it.
    saved: [],
    backward: (_tensors, upstream = 1) => {
      const factor = typeof upstream === 'number' ? upstream : upstream.dataSync()[0];
      return tf.tensor2d(forward.backward(factor), [batch, classes]);
    },
  };
}

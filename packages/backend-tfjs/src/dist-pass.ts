/**
 * One forward pass of DIST and the backward that goes with it, on whichever tfjs backend is active:
 * the `DistKdDist` kernel where tfjs's registry has it for that backend (`kernels/register-all.ts`),
 * tfjs ops everywhere else (`dist-ops.ts`).
 */
import * as tf from '@tensorflow/tfjs';
import type { DistOptions } from '@dist-kd/core';
import { opsPass } from './dist-ops.js';
import { kernelPass } from './kernels/dist-kernel.js';
import { distKernelConfig, hasDistKernel } from './kernels/register-all.js';

export interface DistPass {
  readonly loss: tf.Tensor;
  /** Unscaled means of 1 - corr over rows and over columns. */
  readonly inter: tf.Tensor;
  readonly intra: tf.Tensor;
  /** Whether `loss` is already NaN for any NaN or ±Infinity logit, so no separate check is needed. */
  readonly lossFlagsBadInput: boolean;
  /** Tensors the backward reads; `tf.customGrad` keeps them until the backward has run. */
  readonly saved: tf.Tensor[];
  /** dloss/dstudent times `upstream`, from `saved` (or the same tensors, outside a tape). */
  backward(saved: readonly tf.Tensor[], upstream?: tf.Tensor | number): tf.Tensor;
}

/**
 * How DIST is computed: `auto` takes the DIST kernel where it serves the active tfjs backend and tfjs
 * ops elsewhere; `ops` takes tfjs ops everywhere (for comparison).
 */
export type DistImplementation = 'auto' | 'ops';

export const DIST_IMPLEMENTATIONS: readonly DistImplementation[] = ['auto', 'ops'];

export interface DistPassSettings {
  /** Whether `backward` will be called; without it the kernel skips its backward pass. */
  readonly gradient?: boolean;
  readonly implementation?: DistImplementation;
}

/** The caller owns the returned tensors (run it inside `tf.tidy`, or dispose them). */
export function distPass(
  student: tf.Tensor2D,
  teacher: tf.Tensor2D,
  options: DistOptions,
  { gradient = true, implementation = 'auto' }: DistPassSettings = {},
): DistPass {
  return runsDistKernel(implementation, tf.getBackend(), options)
    ? kernelPass(student, teacher, options, gradient)
    : opsPass(student, teacher, options);
}

/**
 * Whether DIST runs as the `DistKdDist` kernel with this implementation choice on this tfjs backend
 * (registering the kernels on first use): the one place that decides it. An activation the
 * backend's kernel does not compute (sigmoid, except on webgpu) runs as tfjs ops, which have both.
 */
export function runsDistKernel(
  implementation: DistImplementation,
  tfjsBackend: string,
  options?: Pick<DistOptions, 'activation'>,
): boolean {
  const activation = options?.activation ?? 'softmax';
  return implementation === 'auto' && hasDistKernel(tfjsBackend) && (distKernelConfig(tfjsBackend)?.activations ?? ['softmax']).includes(activation);
}

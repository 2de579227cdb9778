/**
 * Every config of the `DistKdDist` kernel, one per tfjs backend (as tfjs-backend-webgl's
 * `register_all_kernels.ts` lists its kernels). To add a backend, add its `DistKernelConfig` here.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from '@dist-kd/core';
import { cpuDistKernel, wasmDistKernel } from '../simd/tfjs-kernel.js';
import { webglDistKernel } from './dist-webgl.js';
import { DIST_KERNEL_NAME } from './dist-kernel.js';
import { webgpuDistKernel } from './webgpu-dist.js';

/** A tfjs KernelConfig for `DIST_KERNEL_NAME`, with what reports need. */
export interface DistKernelConfig extends tf.KernelConfig {
  /** What computes DIST on this backend, for reports (`availability().details.computedBy`). */
  readonly description: string;
  /** The activations the kernel computes; a call with another runs as the fused tfjs ops. */
  readonly activations: readonly Activation[];
  /**
   * Why this config cannot run in this engine (say, no WebAssembly SIMD), or undefined when it can.
   * A config that cannot run is not registered, and the fused tfjs ops serve its backend.
   */
  unavailableReason(): string | undefined;
}

/**
 * Whether the DIST kernel of this tfjs backend computes this activation: what its listed config
 * says, and the softmax only for a kernel someone else registered for a backend no config lists.
 */
export function distKernelComputes(tfjsBackend: string, activation: Activation): boolean {
  return (distKernelConfig(tfjsBackend)?.activations ?? ['softmax']).includes(activation);
}

export const DIST_KERNEL_CONFIGS: readonly DistKernelConfig[] = [wasmDistKernel, cpuDistKernel, webgpuDistKernel, webglDistKernel];

/** tfjs backends whose listed config was looked at (registered, or found unable to run here). */
const considered = new Set<string>();

/**
 * Whether tfjs's registry has the DIST kernel for this tfjs backend, registering the listed config
 * on the first call for that backend (so that a config's check, such as creating a WebGL context,
 * runs only where its backend is used). A config registered by someone else is left in place.
 */
export function hasDistKernel(tfjsBackend: string): boolean {
  if (!considered.has(tfjsBackend)) {
    considered.add(tfjsBackend);
    const config = distKernelConfig(tfjsBackend);
    if (config && config.unavailableReason() === undefined && !tf.getKernel(DIST_KERNEL_NAME, tfjsBackend)) {
      tf.registerKernel(config);
    }
  }
  return tf.getKernel(DIST_KERNEL_NAME, tfjsBackend) !== undefined;
}

/** The config listed for this tfjs backend, registered or not. */
export function distKernelConfig(tfjsBackend: string): DistKernelConfig | undefined {
  return DIST_KERNEL_CONFIGS.find((config) => config.backendName === tfjsBackend);
}

/**
 * Every config of the `DistKdDist` kernel, one per tfjs backend (as tfjs-backend-webgl's
 * `register_all_kernels.ts` lists its kernels). To add a backend, add its `DistKernelConfig` here.
 */
import * as tf from '@tensorflow/tfjs';
import { cpuDistKernel, wasmDistKernel } from '../simd/tfjs-kernel.js';
import { DIST_KERNEL_NAME } from './dist-kernel.js';
import { webgpuDistKernel } from './webgpu-dist.js';

/** A tfjs KernelConfig for `DIST_KERNEL_NAME`, with what reports need. */
export interface DistKernelConfig extends tf.KernelConfig {
  /** What computes DIST on this backend, for reports (`availability().details.computedBy`). */
  readonly description: string;
  /**
   * Why this config cannot run in this engine (say, no WebAssembly SIMD), or undefined when it can.
   * A config that cannot run is not registered, and the fused tfjs ops serve its backend.
   */
  unavailableReason(): string | undefined;
}

export const DIST_KERNEL_CONFIGS: readonly DistKernelConfig[] = [wasmDistKernel, cpuDistKernel, webgpuDistKernel];

let registered = false;

/** Registers, once, every config that can run here (leaving alone one registered already). */
export function registerDistKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of DIST_KERNEL_CONFIGS) {
    if (config.unavailableReason() === undefined && !tf.getKernel(DIST_KERNEL_NAME, config.backendName)) {
      tf.registerKernel(config);
    }
  }
}

/** Whether tfjs's registry has the DIST kernel for this tfjs backend. */
export function hasDistKernel(tfjsBackend: string): boolean {
  registerDistKernels();
  return tf.getKernel(DIST_KERNEL_NAME, tfjsBackend) !== undefined;
}

/** The config listed for this tfjs backend, registered or not. */
export function distKernelConfig(tfjsBackend: string): DistKernelConfig | undefined {
  return DIST_KERNEL_CONFIGS.find((config) => config.backendName === tfjsBackend);
}

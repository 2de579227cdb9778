// The declarations name WebGPU's types (GPUDevice, GPUBuffer); this makes them resolve for a
// consumer whose tsconfig does not list @webgpu/types (a dependency of this package).
/// <reference types="@webgpu/types" preserve="true" />
export {
  createBackend,
  type DeviceRequest,
  type DeviceResult,
  type WebGpuBackend,
  type WebGpuBackendConfig,
} from './backend.js';
export { KERNELS, type KernelName } from '@dist-kd/kernel-wgsl';
/** The variants besides the default, which core's `listBackends` turns into backend names; none. */
export const VARIANTS: readonly string[] = [];
// What a user of this package needs from core, so that installing this package alone is enough.
export { PRESETS, DEFAULT_OPTIONS, DistInputError, BackendUnavailableError, BackendRuntimeError, type DistOptions } from '@dist-kd/core';

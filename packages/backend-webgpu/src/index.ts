export {
  createBackend,
  type DeviceRequest,
  type DeviceResult,
  type WebGpuBackend,
  type WebGpuBackendConfig,
} from './backend.js';
export { KERNELS, type KernelName } from '@dist-kd/kernel-wgsl';

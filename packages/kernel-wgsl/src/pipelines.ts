/**
 * The DIST compute pipelines of one device and kernel shape, compiled once and shared by every
 * caller on that device (the standalone backend and the tfjs op alike): a WeakMap keyed by the
 * device lets a destroyed device's pipelines go with it.
 */
import { BackendRuntimeError } from '@dist-kd/core';
import { KERNELS, type KernelName, type KernelShape } from './kernels/index.js';

export type DistPipelines = Readonly<Record<KernelName, GPUComputePipeline>>;

const compiled = new WeakMap<GPUDevice, Map<string, DistPipelines>>();

const KERNEL_NAMES = Object.keys(KERNELS) as KernelName[];

function shapeKey({ workgroupSize, rowLanes, columnTile }: KernelShape): string {
  return `${workgroupSize}/${rowLanes}/${columnTile}`;
}

function cacheOf(device: GPUDevice): Map<string, DistPipelines> {
  let cache = compiled.get(device);
  if (!cache) compiled.set(device, (cache = new Map()));
  return cache;
}

function shaderModule(device: GPUDevice, name: KernelName, shape: KernelShape): GPUShaderModule {
  return device.createShaderModule({ label: `dist-kd ${name}`, code: KERNELS[name](shape) });
}

/**
 * The pipelines, compiled synchronously on first use: for callers that must encode now (a tfjs
 * kernel function is synchronous). A compile error surfaces as a device validation error, as
 * tfjs's own programs' do.
 */
export function distPipelines(device: GPUDevice, shape: KernelShape): DistPipelines {
  const cache = cacheOf(device);
  const key = shapeKey(shape);
  let pipelines = cache.get(key);
  if (!pipelines) {
    const entries = KERNEL_NAMES.map((name) => {
      const module = shaderModule(device, name, shape);
      const pipeline = device.createComputePipeline({ label: `dist-kd ${name}`, layout: 'auto', compute: { module, entryPoint: 'main' } });
      return [name, pipeline] as const;
    });
    pipelines = Object.fromEntries(entries) as Record<KernelName, GPUComputePipeline>;
    cache.set(key, pipelines);
  }
  return pipelines;
}

/**
 * The pipelines, compiled asynchronously (without blocking the device's thread), with a compile
 * error turned into a BackendRuntimeError that quotes the compiler's messages.
 */
export async function compileDistPipelines(device: GPUDevice, shape: KernelShape): Promise<DistPipelines> {
  const cache = cacheOf(device);
  const key = shapeKey(shape);
  const cached = cache.get(key);
  if (cached) return cached;
  device.pushErrorScope('validation');
  const entries = await Promise.all(
    KERNEL_NAMES.map(async (name) => {
      const module = shaderModule(device, name, shape);
      const pipeline = await device
        .createComputePipelineAsync({ label: `dist-kd ${name}`, layout: 'auto', compute: { module, entryPoint: 'main' } })
        .catch(async (error: unknown) => {
          const info = await module.getCompilationInfo();
          const messages = info.messages.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
          throw new BackendRuntimeError('webgpu', `kernel ${name} failed to compile: ${messages || String(error)}`, {
            cause: error,
          });
        });
      return [name, pipeline] as const;
    }),
  );
  const error = await device.popErrorScope();
  if (error) throw new BackendRuntimeError('webgpu', `creating the pipelines failed: ${error.message}`);
  // Another caller may have compiled them meanwhile: keep one set per device and shape.
  const pipelines = cache.get(key) ?? (Object.fromEntries(entries) as Record<KernelName, GPUComputePipeline>);
  cache.set(key, pipelines);
  return pipelines;
}

/**
 * The `DistKdDist` config for tfjs backend `webgpu`: kernel-wgsl's passes encoded on tfjs's own
 * GPUDevice and command encoder, reading the logits from the tensors' GPU buffers and writing the
 * loss, inter, intra and the gradient into new tensors' buffers from tfjs's buffer manager. Nothing
 * is read back and nothing waits: the loss stays a scalar tensor on the GPU (NaN when the kernels
 * flagged a bad logit or a zero denominator; `dist-loss.ts` explains a NaN when it is read).
 *
 * Why not tfjs's program API (`runWebGPUProgram`): a tfjs program is one WGSL entry point with one
 * output tensor and bindings tfjs lays out itself. DIST is five passes that hand each other scratch
 * records (rows, columns, running sums) through buffers of their own, and its row pass has three
 * outputs, so it is encoded here on tfjs's encoder in the same order tfjs's programs use it
 * (end tfjs's compute pass, record, submit), with tfjs's buffer manager for the outputs.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendRuntimeError, isSoftwareAdapter } from '@dist-kd/core';
import {
  distPipelines,
  DistWorkspace,
  HARDWARE_SHAPE,
  planForDevice,
  SOFTWARE_SHAPE,
  TERMS_OFFSET_BYTES,
  type KernelShape,
} from '@dist-kd/kernel-wgsl';
import { DIST_KERNEL_NAME, type DistKernelAttrs } from './dist-kernel.js';
import type { DistKernelConfig } from './register-all.js';

/** The parts of tfjs-backend-webgpu 4.x's WebGPUBackend this kernel uses. */
export interface TfjsWebGpuBackend {
  readonly device: GPUDevice;
  readonly tensorMap: { get(dataId: object): { resource?: unknown } | undefined };
  commandEncoder: GPUCommandEncoder | null;
  readonly commandQueueOwnedIds: WeakSet<object>;
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: 'float32'): tf.TensorInfo;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** Workspaces kept per device, most recently used last; a few shapes (train and eval batches) fit. */
const WORKSPACES_PER_DEVICE = 4;
const workspaces = new WeakMap<GPUDevice, Map<string, DistWorkspace>>();

export const webgpuDistKernel: DistKernelConfig = {
  kernelName: DIST_KERNEL_NAME,
  backendName: 'webgpu',
  description: "DIST WGSL kernels (@dist-kd/kernel-wgsl) on tfjs's GPUDevice",
  activations: ['softmax', 'sigmoid'],
  unavailableReason: () => undefined,
  kernelFunc: ({ inputs, backend, attrs }) =>
    runWebGpuDist(backend as unknown as TfjsWebGpuBackend, inputs as { student: tf.TensorInfo; teacher: tf.TensorInfo }, attrs as unknown as DistKernelAttrs),
};

function runWebGpuDist(
  backend: TfjsWebGpuBackend,
  { student, teacher }: { student: tf.TensorInfo; teacher: tf.TensorInfo },
  attrs: DistKernelAttrs,
): tf.TensorInfo[] {
  const [batch, classes] = student.shape;
  const workspace = workspaceFor(backend.device, batch, classes);
  const inputs = { student: gpuBuffer(backend, student), teacher: gpuBuffer(backend, teacher) };
  const scalars = [0, 1, 2].map(() => newTensor(backend, []));
  const gradient = attrs.gradient ? newTensor(backend, [batch, classes]) : undefined;

  backend.ensureCommandEncoderReady();
  // tfjs keeps one compute pass open across its programs; ours are recorded after it.
  backend.endComputePassEncoder();
  const encoder = backend.commandEncoder!;
  workspace.encode(encoder, attrs, { inputs, gradient: gradient ? gradient.buffer : 'none' });
  scalars.forEach((scalar, k) => encoder.copyBufferToBuffer(workspace.scalars, TERMS_OFFSET_BYTES + 4 * k, scalar.buffer, 0, 4));
  for (const info of [student, teacher, ...scalars.map((s) => s.info), ...(gradient ? [gradient.info] : [])]) {
    // As tfjs's own programs do: a tensor disposed before the submit keeps its buffer until then.
    backend.commandQueueOwnedIds.add(info.dataId);
  }
  // Submitting now (no wait) lets the workspace's parameters be rewritten by the next call, and an
  // evicted workspace be destroyed, without touching work still unsubmitted.
  backend.submitQueue();
  const outputs = scalars.map((s) => s.info);
  return gradient ? [...outputs, gradient.info] : outputs;
}

function workspaceFor(device: GPUDevice, batch: number, classes: number): DistWorkspace {
  let cache = workspaces.get(device);
  if (!cache) workspaces.set(device, (cache = new Map()));
  const key = `${batch}x${classes}`;
  let workspace = cache.get(key);
  if (workspace) {
    cache.delete(key);
  } else {
    const shape = kernelShape(device);
    workspace = new DistWorkspace(device, distPipelines(device, shape), planForDevice(device, batch, classes, shape));
    if (cache.size >= WORKSPACES_PER_DEVICE) {
      const [oldest, evicted] = cache.entries().next().value!;
      cache.delete(oldest);
      evicted.destroy();
    }
  }
  cache.set(key, workspace);
  return workspace;
}

/** As backend-webgpu decides it: CPU emulations run fastest with one invocation per row. */
function kernelShape(device: GPUDevice): KernelShape {
  const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  return isSoftwareAdapter(info) ? SOFTWARE_SHAPE : HARDWARE_SHAPE;
}

function gpuBuffer(backend: TfjsWebGpuBackend, info: tf.TensorInfo): GPUBuffer {
  // Uploads host values first (a tensor made from an array), as tfjs's programs do.
  backend.uploadToGPU(info.dataId);
  const resource = backend.tensorMap.get(info.dataId)?.resource;
  if (!(resource instanceof GPUBuffer)) {
    throw new BackendRuntimeError('tfjs-webgpu', `${DIST_KERNEL_NAME} needs tensors in GPU buffers, got ${describe(resource)}`);
  }
  return resource;
}

function newTensor(backend: TfjsWebGpuBackend, shape: number[]): { info: tf.TensorInfo; buffer: GPUBuffer } {
  const info = backend.makeTensorInfo(shape, 'float32');
  return { info, buffer: gpuBuffer(backend, info) };
}

function describe(resource: unknown): string {
  return resource === null || resource === undefined ? 'no buffer' : `a ${(resource as object).constructor?.name ?? typeof resource}`;
}

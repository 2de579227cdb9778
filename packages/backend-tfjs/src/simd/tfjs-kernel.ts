/**
 * The SIMD kernel as a tfjs kernel ("DistKdDist"), registered for the tfjs backends whose tensors
 * are memory in this process: wasm (tensors in its WebAssembly heap, read in place) and cpu (typed
 * arrays). Its inputs are the student and teacher logits; its outputs the loss, inter and intra as
 * scalars, and with `gradient` the student's gradient for an upstream gradient of 1.
 */
import * as tf from '@tensorflow/tfjs';
import type { DistOptions } from '@dist-kd/core';
import { simdKernel } from './simd-kernel.js';

export const DIST_KERNEL_NAME = 'DistKdDist';

/** The tfjs backends the kernel serves, each with how to reach its tensors' memory. */
const HOST_MEMORY: Readonly<Record<string, (backend: tf.KernelBackend) => HostMemory>> = {
  wasm: (backend) => wasmMemory(backend as unknown as WasmBackend),
  cpu: (backend) => cpuMemory(backend as unknown as CpuBackend),
};

/** The tfjs backends the kernel can serve. */
export const SIMD_KERNEL_BACKENDS: readonly string[] = Object.keys(HOST_MEMORY);

/** Registers the kernel for `tfjsBackend` if it serves it and this engine has WebAssembly SIMD. */
export function registerSimdKernel(tfjsBackend: string): boolean {
  const memory = HOST_MEMORY[tfjsBackend];
  if (!memory || !simdKernel()) return false;
  if (!tf.getKernel(DIST_KERNEL_NAME, tfjsBackend)) {
    tf.registerKernel({ kernelName: DIST_KERNEL_NAME, backendName: tfjsBackend, kernelFunc: kernelFunc(memory) });
  }
  return true;
}

/** Attributes of one call: the resolved options, and whether to compute the gradient. */
export type DistKernelAttrs = DistOptions & { readonly gradient: boolean };

interface Output {
  /** Writable until the next allocation on the backend. */
  readonly values: Float32Array;
  /** The tensor, once `values` is written. */
  finish(): tf.TensorInfo;
}

interface HostMemory {
  values(tensor: tf.TensorInfo): Float32Array;
  allocate(shape: number[]): Output;
}

interface WasmBackend {
  typedArrayFromHeap(tensor: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

function wasmMemory(backend: WasmBackend): HostMemory {
  return {
    values: (tensor) => backend.typedArrayFromHeap(tensor),
    allocate(shape) {
      const info = backend.makeOutput(shape, 'float32');
      return { values: backend.typedArrayFromHeap(info), finish: () => info };
    },
  };
}

interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

function cpuMemory(backend: CpuBackend): HostMemory {
  return {
    values: (tensor) => backend.data.get(tensor.dataId).values as Float32Array,
    allocate(shape) {
      const values = new Float32Array(shape.reduce((size, extent) => size * extent, 1));
      return { values, finish: () => backend.makeTensorInfo(shape, 'float32', values) };
    },
  };
}

function kernelFunc(hostMemory: (backend: tf.KernelBackend) => HostMemory): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { student, teacher } = inputs as { student: tf.TensorInfo; teacher: tf.TensorInfo };
    const options = attrs as unknown as DistKernelAttrs;
    const [batch, classes] = student.shape;
    const memory = hostMemory(backend as tf.KernelBackend);
    let gradient: Output | undefined;
    const target = options.gradient ? () => (gradient = memory.allocate([batch, classes])).values : undefined;
    const terms = simdKernel()!.run(memory.values(student), memory.values(teacher), batch, classes, options, target);
    const scalars = [terms.loss, terms.inter, terms.intra].map((value) => {
      const output = memory.allocate([]);
      output.values[0] = value;
      return output.finish();
    });
    return gradient ? [...scalars, gradient.finish()] : scalars;
  };
}

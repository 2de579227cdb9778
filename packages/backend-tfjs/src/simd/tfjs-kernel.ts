/**
 * The SIMD kernel as configs of the tfjs kernel `DistKdDist` (`kernels/dist-kernel.ts`), for the tfjs
 * backends whose tensors are memory in this process: wasm (tensors in its WebAssembly heap, read and
 * written in place) and cpu (typed arrays, copied in and out).
 */
import * as tf from '@tensorflow/tfjs';
import { DIST_KERNEL_NAME, type DistKernelAttrs } from '../kernels/dist-kernel.js';
import type { DistKernelConfig } from '../kernels/register-all.js';
import { ownMemoryHost, SimdKernel, simdKernelError, simdKernelModule, type KernelHost, type KernelMatrix } from '@dist-kd/kernel-wasm';

/** How the kernel reaches one tfjs backend's tensors. */
export interface TensorAccess {
  readonly kernel: SimdKernel;
  matrix(tensor: tf.TensorInfo): KernelMatrix;
  /** A new float32 output: where the kernel writes it, and the tensor once written. */
  output(shape: number[]): { readonly target: KernelMatrix; finish(): tf.TensorInfo };
}

type AccessFactory = (backend: tf.KernelBackend, module: WebAssembly.Module) => TensorAccess;

export const wasmDistKernel = simdKernelConfig('wasm', (backend, module) => wasmAccess(backend as unknown as WasmBackend, module));
export const cpuDistKernel = simdKernelConfig('cpu', (backend, module) => cpuAccess(backend as unknown as CpuBackend, module));

function simdKernelConfig(backendName: string, access: AccessFactory): DistKernelConfig {
  const accessOf = new WeakMap<tf.KernelBackend, TensorAccess>();
  return {
    kernelName: DIST_KERNEL_NAME,
    backendName,
    description: 'DIST WebAssembly SIMD kernel',
    activations: ['softmax'],
    unavailableReason: () => (simdKernelModule() ? undefined : `no WebAssembly SIMD here: ${simdKernelError()?.message}`),
    kernelFunc: ({ inputs, backend, attrs }) => {
      const kernelBackend = backend as tf.KernelBackend;
      let reach = accessOf.get(kernelBackend);
      if (!reach) accessOf.set(kernelBackend, (reach = access(kernelBackend, simdKernelModule()!)));
      return runKernel(reach, inputs as { student: tf.TensorInfo; teacher: tf.TensorInfo }, attrs as unknown as DistKernelAttrs);
    },
  };
}

function runKernel(access: TensorAccess, { student, teacher }: { student: tf.TensorInfo; teacher: tf.TensorInfo }, options: DistKernelAttrs): tf.TensorInfo[] {
  const [batch, classes] = student.shape;
  // The gradient's tensor first, so that the kernel can write it in place.
  const gradient = options.gradient ? access.output([batch, classes]) : undefined;
  const terms = access.kernel.run(access.matrix(student), access.matrix(teacher), batch, classes, options, gradient?.target);
  const scalars = [terms.loss, terms.inter, terms.intra].map((value) => {
    const scalar = access.output([]);
    // A scalar's values, whatever its target: one float.
    writeScalar(access, scalar.target, value);
    return scalar.finish();
  });
  return gradient ? [...scalars, gradient.finish()] : scalars;
}

function writeScalar(access: TensorAccess, target: KernelMatrix, value: number): void {
  if ('values' in target) target.values[0] = value;
  else new Float32Array(access.kernel.memory.buffer, target.address, 1)[0] = value;
}

export interface WasmBackend {
  wasm: { asm?: { memory?: unknown }; _malloc?: (bytes: number) => number; _free?: (address: number) => void };
  getMemoryOffset(dataId: object): number;
  typedArrayFromHeap(tensor: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/**
 * In tfjs-backend-wasm's own heap when its Emscripten module exposes the heap's memory and malloc
 * (tfjs-backend-wasm 4.x does) and that memory is not shared: no copies. Otherwise in a memory of
 * the kernel's own, through copies.
 */
export function wasmAccess(backend: WasmBackend, module: WebAssembly.Module): TensorAccess {
  const { asm, _malloc: malloc, _free: free } = backend.wasm;
  const heap = asm?.memory;
  // The multi-threaded build (browsers with cross-origin isolation) has a shared memory, which the
  // kernel, compiled for an unshared one, cannot import.
  const sharedHeap = typeof SharedArrayBuffer !== 'undefined' && heap instanceof WebAssembly.Memory && heap.buffer instanceof SharedArrayBuffer;
  if (!(heap instanceof WebAssembly.Memory) || sharedHeap || !malloc || !free) {
    const kernel = new SimdKernel(module, ownMemoryHost(), 'tfjs');
    return {
      kernel,
      matrix: (tensor) => ({ values: backend.typedArrayFromHeap(tensor) }),
      output(shape) {
        const info = backend.makeOutput(shape, 'float32');
        // Read when written: the kernel writes after its own allocations, which do not touch this heap.
        return { target: { values: backend.typedArrayFromHeap(info) }, finish: () => info };
      },
    };
  }
  const kernel = new SimdKernel(module, heapHost(heap, malloc, free), 'tfjs');
  return {
    kernel,
    matrix: (tensor) => ({ address: backend.getMemoryOffset(tensor.dataId) }),
    output(shape) {
      const info = backend.makeOutput(shape, 'float32');
      return { target: { address: backend.getMemoryOffset(info.dataId) }, finish: () => info };
    },
  };
}

/** Scratch from the heap's malloc, kept between calls and replaced when a call needs more. */
function heapHost(memory: WebAssembly.Memory, malloc: (bytes: number) => number, free: (address: number) => void): KernelHost {
  let block = 0;
  let capacity = 0;
  return {
    memory,
    scratch(bytes) {
      if (bytes > capacity) {
        if (block) free(block);
        block = malloc(bytes + 15);
        if (!block) {
          capacity = 0;
          throw new Error(`malloc(${bytes + 15}) failed in the tfjs-backend-wasm heap`);
        }
        capacity = bytes;
      }
      // Rounded up arithmetically: `(block + 15) & ~15` is signed 32-bit, negative past 2 GiB.
      return Math.ceil(block / 16) * 16;
    },
  };
}

interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

function cpuAccess(backend: CpuBackend, module: WebAssembly.Module): TensorAccess {
  const kernel = new SimdKernel(module, ownMemoryHost(), 'tfjs');
  return {
    kernel,
    matrix: (tensor) => ({ values: backend.data.get(tensor.dataId).values as Float32Array }),
    output(shape) {
      const values = new Float32Array(shape.reduce((size, extent) => size * extent, 1));
      return { target: { values }, finish: () => backend.makeTensorInfo(shape, 'float32', values) };
    },
  };
}

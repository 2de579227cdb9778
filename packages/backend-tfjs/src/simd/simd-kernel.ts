/**
 * The host side of the WebAssembly SIMD kernel (`assembly/`). The module imports its memory, so one
 * compiled module serves two kinds of host: tfjs-backend-wasm's own heap (the kernel reads the
 * logit tensors and writes the gradient tensor in place, with its scratch from the heap's malloc),
 * and a memory of its own (tfjs cpu, whose tensors are JavaScript arrays copied in and out).
 */
import { BackendRuntimeError, composeLoss, epsPlacement, logitLimit, type DistOptions } from '@dist-kd/core';
import { DIST_KERNEL_WASM } from '../generated/dist-kernel-wasm.js';

interface KernelExports {
  scratchBytes(batch: number, classes: number): number;
  prepare(batch: number, classes: number, scratch: number): void;
  rowStride(): number;
  forward(student: number, teacher: number, log2eOverTau: number, eps: number, epsInside: number, limit: number): number;
  intra(): number;
  backward(gradient: number, rowScale: number, colScale: number): void;
}

/** A WebAssembly memory the kernel runs in, and scratch space in it. */
export interface KernelHost {
  readonly memory: WebAssembly.Memory;
  /** The address of `bytes` bytes, 16-byte aligned, valid until the next call. */
  scratch(bytes: number): number;
}

/** Logits or a gradient: at an address in the host's memory (rows `classes` apart), or a JavaScript array. */
export type KernelMatrix = { readonly address: number } | { readonly values: Float32Array };

export interface SimdTerms {
  readonly loss: number;
  readonly inter: number;
  readonly intra: number;
}

let compiled: WebAssembly.Module | undefined;
let compileError: Error | undefined;

/**
 * The compiled module (a few kilobytes, so synchronous compilation is allowed on a browser's main
 * thread too), or undefined where this WebAssembly engine lacks SIMD; `simdKernelError` says why.
 */
export function simdKernelModule(): WebAssembly.Module | undefined {
  if (!compiled && !compileError) {
    try {
      compiled = new WebAssembly.Module(Uint8Array.from(atob(DIST_KERNEL_WASM), (c) => c.charCodeAt(0)));
    } catch (error) {
      compileError = error as Error;
    }
  }
  return compiled;
}

export function simdKernelError(): Error | undefined {
  return compileError;
}

/** The kernel instantiated in one host's memory. */
export class SimdKernel {
  private readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;

  constructor(
    module: WebAssembly.Module,
    private readonly host: KernelHost,
  ) {
    this.memory = host.memory;
    this.exports = new WebAssembly.Instance(module, { env: { memory: host.memory } }).exports as unknown as KernelExports;
  }

  /**
   * DIST of [batch, classes] float32 logits; the loss is NaN when a logit is not finite or beyond
   * core's `logitLimit`, as `validateRequest`'s deferred mode requires. With `gradient`, also writes
   * dloss/dstudent (for an upstream gradient of 1) there. Logits and gradient are used in place when
   * they are in the host's memory and `classes` is a multiple of 4 (the kernel's row stride), and
   * copied otherwise.
   */
  run(
    student: KernelMatrix,
    teacher: KernelMatrix,
    batch: number,
    classes: number,
    options: DistOptions,
    gradient?: KernelMatrix,
  ): SimdTerms {
    const k = this.exports;
    const stride = (classes + 3) & ~3;
    const matrixBytes = batch * stride * 4;
    const copied = (m: KernelMatrix | undefined) => m !== undefined && ('values' in m || stride !== classes);
    const kernelBytes = k.scratchBytes(batch, classes);
    const copies = [student, teacher, gradient].filter(copied).length;
    let scratch: number;
    try {
      scratch = this.host.scratch(kernelBytes + copies * matrixBytes);
    } catch (error) {
      const megabytes = Math.ceil((kernelBytes + copies * matrixBytes) / 2 ** 20);
      throw new BackendRuntimeError(
        'tfjs',
        `the DIST SIMD kernel could not get ${megabytes} MiB of WebAssembly memory for [${batch}, ${classes}] logits; ` +
          'split the batch into smaller ones',
        { cause: error },
      );
    }
    k.prepare(batch, classes, scratch);
    // Views taken after the scratch allocation, which may have grown (and so replaced) the buffer.
    const memory = new Float32Array(this.host.memory.buffer);
    let free = scratch + kernelBytes;
    const place = (m: KernelMatrix, input: boolean): number => {
      if (!copied(m)) return (m as { address: number }).address;
      const at = free;
      free += matrixBytes;
      if (input) copyRows(valuesOf(m, memory, batch * classes), classes, memory, at >> 2, stride, batch);
      return at;
    };
    const { eps, epsInside } = epsPlacement(options);
    const limit = float32AtMost(logitLimit('float32', options.tau));
    const inter = k.forward(place(student, true), place(teacher, true), Math.LOG2E / options.tau, eps, epsInside, limit);
    const intra = k.intra();
    if (gradient) {
      const at = place(gradient, false);
      k.backward(at, (options.beta * options.tau) / batch, (options.gamma * options.tau) / classes);
      if (copied(gradient)) copyRows(memory.subarray(at >> 2), stride, valuesOf(gradient, memory, batch * classes), 0, classes, batch);
    }
    return composeLoss(options, inter, intra);
  }
}

function valuesOf(m: KernelMatrix, memory: Float32Array, length: number): Float32Array {
  return 'values' in m ? m.values : memory.subarray(m.address >> 2, (m.address >> 2) + length);
}

/** A kernel in a memory of its own, grown as calls need. */
export function ownMemoryHost(): KernelHost {
  const memory = new WebAssembly.Memory({ initial: 1 });
  return {
    memory,
    scratch(bytes) {
      const pages = Math.ceil(bytes / 65536) - memory.buffer.byteLength / 65536;
      if (pages > 0) memory.grow(pages);
      return 0;
    },
  };
}

/** The largest float32 not above `value`, so that the kernel's float32 comparison is as strict. */
function float32AtMost(value: number): number {
  const rounded = Math.fround(value);
  if (rounded <= value) return rounded;
  const bits = new Float32Array([rounded]);
  new Int32Array(bits.buffer)[0] -= 1;
  return bits[0];
}

/** Copies `rows` rows `fromStride` floats apart into rows `toStride` floats apart from `toStart`. */
function copyRows(
  from: Float32Array,
  fromStride: number,
  to: Float32Array,
  toStart: number,
  toStride: number,
  rows: number,
): void {
  const classes = Math.min(fromStride, toStride);
  if (fromStride === toStride) {
    to.set(from.subarray(0, rows * classes), toStart);
    return;
  }
  for (let i = 0; i < rows; i++) {
    to.set(from.subarray(i * fromStride, i * fromStride + classes), toStart + i * toStride);
  }
}

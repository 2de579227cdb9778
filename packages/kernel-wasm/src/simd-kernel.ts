/**
 * The kernel on the calling thread, in one host's memory. The module imports its memory, so one
 * compiled module serves two kinds of host: tfjs-backend-wasm's own heap (the kernel reads the
 * logit tensors and writes the gradient tensor in place, with its scratch from the heap's malloc),
 * and a memory of its own (JavaScript arrays copied in and out).
 */
import { BackendRuntimeError, type DistOptions } from '@dist-kd/core';
import {
  callBytes,
  callingThreadRunner,
  callRegions,
  runCall,
  runStatistics,
  type CallMatrices,
  type CallRegions,
  type CallShape,
  type KernelCall,
  type CallTerms,
  type PartRunner,
  type WholeBatch,
} from './dist-call.js';
import { copyRows, rowStrideOf } from './matrices.js';
import { instantiate, type KernelExports } from './module.js';

/** A WebAssembly memory the kernel runs in, and scratch space in it. */
export interface KernelHost {
  readonly memory: WebAssembly.Memory;
  /** The address of `bytes` bytes, 16-byte aligned, valid until the next call. */
  scratch(bytes: number): number;
}

/** Logits or a gradient: at an address in the host's memory (rows `classes` apart), or a JavaScript array. */
export type KernelMatrix = { readonly address: number } | { readonly values: Float32Array | Float64Array };

/** The kernel instantiated in one host's memory, run on the calling thread. */
export class SimdKernel {
  private readonly exports: KernelExports;
  private readonly runner: PartRunner;
  readonly memory: WebAssembly.Memory;

  constructor(
    module: WebAssembly.Module,
    private readonly host: KernelHost,
    /** The backend this kernel serves, named in its errors. */
    private readonly owner: string,
  ) {
    this.memory = host.memory;
    this.exports = instantiate(module, host.memory);
    this.runner = callingThreadRunner(this.exports);
  }

  /**
   * DIST of [batch, classes] logits; the loss is NaN when a logit is not finite or beyond core's
   * `logitLimit`, as `validateRequest`'s deferred mode requires. With `gradient`, also writes
   * dloss/dstudent (for an upstream gradient of 1) there; with `whole`, of the whole batch these rows
   * are a shard of. Logits and gradient are used in place when they are in the host's memory and
   * `classes` is a multiple of 4 (the kernel's row stride), and copied otherwise.
   */
  run(
    student: KernelMatrix,
    teacher: KernelMatrix,
    batch: number,
    classes: number,
    options: DistOptions,
    gradient?: KernelMatrix,
    whole?: WholeBatch,
  ): CallTerms {
    return this.withCall(student, teacher, batch, classes, gradient, (regions, matrices) => {
      const terms = runCall(this.call({ batch, classes }, regions, matrices, options), whole);
      return { result: terms, gradientWritten: Number.isFinite(terms.loss) };
    });
  }

  /** Phase 1 of a shard: its rows' sum of 1 - r_i (NaN for a bad logit) and column statistics. */
  statistics(student: KernelMatrix, teacher: KernelMatrix, batch: number, classes: number, options: DistOptions): WholeBatch {
    return this.withCall(student, teacher, batch, classes, undefined, (regions, matrices) => ({
      result: runStatistics(this.call({ batch, classes }, regions, matrices, options)),
      gradientWritten: false,
    }));
  }

  private call(shape: CallShape, regions: CallRegions, matrices: CallMatrices, options: DistOptions): KernelCall {
    return { kernel: this.exports, memory: this.host.memory, runner: this.runner, shape, regions, matrices, options };
  }

  /** Lays out a call's scratch and matrices (copying inputs in), runs `work`, copies the gradient out. */
  private withCall<T>(
    student: KernelMatrix,
    teacher: KernelMatrix,
    batch: number,
    classes: number,
    gradient: KernelMatrix | undefined,
    work: (regions: CallRegions, matrices: CallMatrices) => { result: T; gradientWritten: boolean },
  ): T {
    const shape = { batch, classes };
    const stride = rowStrideOf(classes);
    const matrixBytes = batch * stride * 4;
    const copied = (m: KernelMatrix | undefined) => m !== undefined && ('values' in m || stride !== classes);
    const kernelBytes = callBytes(this.exports, shape, 1);
    const copies = [student, teacher, gradient].filter(copied).length;
    let scratch: number;
    try {
      scratch = this.host.scratch(kernelBytes + copies * matrixBytes);
    } catch (error) {
      const megabytes = Math.ceil((kernelBytes + copies * matrixBytes) / 2 ** 20);
      throw new BackendRuntimeError(
        this.owner,
        `the DIST SIMD kernel could not get ${megabytes} MiB of WebAssembly memory for [${batch}, ${classes}] logits; ` +
          'split the batch into smaller ones',
        { cause: error },
      );
    }
    const regions = callRegions(this.exports, shape, 1, scratch);
    // Views taken after the scratch allocation, which may have grown (and so replaced) the buffer.
    const memory = new Float32Array(this.host.memory.buffer);
    let free = scratch + kernelBytes;
    const place = (m: KernelMatrix, input: boolean): number => {
      if (!copied(m)) return (m as { address: number }).address;
      const at = free;
      free += matrixBytes;
      if (input) copyRows(valuesOf(m, memory, batch * classes), classes, memory, at / 4, stride, batch);
      return at;
    };
    const matrices = { student: place(student, true), teacher: place(teacher, true), gradient: gradient && place(gradient, false) };
    const { result, gradientWritten } = work(regions, matrices);
    if (gradient && copied(gradient) && gradientWritten) {
      copyRows(memory.subarray(matrices.gradient! / 4), stride, valuesOf(gradient, memory, batch * classes), 0, classes, batch);
    }
    return result;
  }
}

function valuesOf(m: KernelMatrix, memory: Float32Array, length: number): Float32Array | Float64Array {
  // Addresses are unsigned and may pass 2 GiB: divide, never shift (a >> 2 turns them negative).
  return 'values' in m ? m.values : memory.subarray(m.address / 4, m.address / 4 + length);
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

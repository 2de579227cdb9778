/**
 * The kernel as a CPU backend uses it: on every core where memory can be shared with worker threads
 * (Node; cross-origin isolated pages), on the calling thread otherwise, in a memory of its own that
 * holds the logits of a call (copied in from the caller's arrays, or kept by a binding) and the
 * gradient. Every call is synchronous: the caller's arrays are read before it returns.
 */
import { BackendRuntimeError, DistInputError, type DistOptions } from '@dist-kd/core';
import {
  callBytes,
  callingThreadRunner,
  callRegions,
  runCall,
  runStatistics,
  type CallRegions,
  type CallShape,
  type CallTerms,
  type PartHooks,
  type PartRunner,
  type RowRange,
  type WholeBatch,
} from './dist-call.js';
import { copyRows, rowStrideOf } from './matrices.js';
import { instantiate, simdKernelError, simdKernelModule, type KernelExports } from './module.js';
import { RegionAllocator } from './regions.js';
import { hardwareThreads, threadsUnavailableReason } from './threads/platform.js';
import { CONTROL_BYTES, JOB_BYTES } from './threads/protocol.js';
import { MAX_MEMORY_BYTES, WorkerPool } from './threads/pool.js';

export interface ParallelKernelOptions {
  /** Threads for large inputs, the calling thread included; default: the machine's (1: no workers). */
  readonly threads?: number;
  /** Inputs with fewer elements (B*C) than this run on the calling thread alone; default 32768. */
  readonly parallelThreshold?: number;
  /** The backend this kernel serves, named in its errors. */
  readonly owner: string;
}

export const DEFAULT_PARALLEL_THRESHOLD = 32768;

/** The most threads a kernel runs on: the calling thread and one job slot per worker (threads/protocol.ts). */
export const MAX_THREADS = Math.floor(CONTROL_BYTES / JOB_BYTES) + 1;

/** A [batch, classes] matrix in the kernel's memory: rows `stride` floats apart. */
export interface KernelRegion {
  readonly address: number;
  readonly bytes: number;
}

export class ParallelSimdKernel {
  /** Threads a large call is split across (1 where workers cannot share memory). */
  readonly threads: number;
  /** Why this kernel runs on one thread only, when it does although more were asked for. */
  readonly singleThreadReason: string | undefined;
  private readonly kernel: KernelExports;
  private readonly runner: PartRunner;
  private readonly single: PartRunner;
  private readonly pool: WorkerPool | undefined;
  private readonly regions: RegionAllocator;
  private readonly threshold: number;
  /** A call's scratch, kept while calls fit in it. */
  private scratch: KernelRegion | undefined;

  constructor(options: ParallelKernelOptions) {
    const asked = options.threads;
    if (asked !== undefined && !(Number.isInteger(asked) && asked >= 1 && asked <= MAX_THREADS)) {
      throw new DistInputError('BAD_OPTION', `threads must be an integer from 1 to ${MAX_THREADS}, got ${typeof asked === 'string' ? JSON.stringify(asked) : String(asked)}`);
    }
    const wanted = asked ?? Math.min(MAX_THREADS, Math.max(1, hardwareThreads()));
    this.threshold = options.parallelThreshold ?? DEFAULT_PARALLEL_THRESHOLD;
    const noThreads = wanted > 1 ? threadsUnavailableReason() : undefined;
    const shared = wanted > 1 && noThreads === undefined ? simdKernelModule('shared') : undefined;
    if (shared) {
      this.pool = new WorkerPool(shared, wanted - 1, options.owner);
      this.kernel = this.pool.kernel;
      this.runner = this.pool.runner;
      this.regions = new RegionAllocator(this.pool.memory, CONTROL_BYTES, MAX_MEMORY_BYTES);
      this.threads = wanted;
      this.singleThreadReason = undefined;
    } else {
      const module = simdKernelModule('unshared');
      if (!module) {
        throw new BackendRuntimeError(options.owner, `this WebAssembly engine cannot run the SIMD kernel: ${simdKernelError('unshared')?.message}`);
      }
      const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_MEMORY_BYTES / 65536 });
      this.kernel = instantiate(module, memory);
      this.runner = callingThreadRunner(this.kernel);
      this.regions = new RegionAllocator(memory, 0, MAX_MEMORY_BYTES);
      this.threads = 1;
      this.singleThreadReason = wanted > 1 ? (noThreads ?? `the shared-memory kernel does not compile here: ${simdKernelError('shared')?.message}`) : undefined;
    }
    this.single = this.pool ? callingThreadRunner(this.kernel) : this.runner;
  }

  get memory(): WebAssembly.Memory {
    return this.regions.memory;
  }

  /** Why worker threads stopped taking parts, if they did (a call then runs on the calling thread). */
  get workerFailure(): string | undefined {
    return this.pool?.workerFailure;
  }

  /** Bytes of one [batch, classes] matrix in the kernel's layout. */
  static matrixBytes(batch: number, classes: number): number {
    return batch * rowStrideOf(classes) * 4;
  }

  /** Bytes of memory a call of [batch, classes] needs besides its matrices, split as this kernel would. */
  scratchBytes(shape: CallShape): number {
    return callBytes(this.kernel, shape, this.partsFor(shape));
  }

  /** The largest memory this kernel can have (the wasm32 limit, 4 GiB). */
  get maxBytes(): number {
    return this.regions.maxBytes;
  }

  /** A region of `bytes`, or undefined when the memory cannot hold it. */
  allocate(bytes: number): KernelRegion | undefined {
    const address = this.regions.allocate(bytes);
    return address === undefined ? undefined : { address, bytes };
  }

  free(region: KernelRegion): void {
    this.regions.free(region.address);
  }

  /**
   * Copies row-major [batch, classes] values into a matrix region (float64 values rounded to
   * float32): all rows, or those of `rows`.
   */
  write(values: Float32Array | Float64Array, batch: number, classes: number, region: KernelRegion, rows: RowRange = { first: 0, count: batch }): void {
    const memory = new Float32Array(this.memory.buffer);
    const stride = rowStrideOf(classes);
    copyRows(values.subarray(rows.first * classes), classes, memory, region.address / 4 + rows.first * stride, stride, rows.count);
  }

  /** Copies a matrix region out into row-major [batch, classes] values: all rows, or those of `rows`. */
  read(region: KernelRegion, batch: number, classes: number, into: Float32Array | Float64Array, rows: RowRange = { first: 0, count: batch }): void {
    const memory = new Float32Array(this.memory.buffer);
    const stride = rowStrideOf(classes);
    const start = region.address / 4 + rows.first * stride;
    copyRows(memory.subarray(start, start + rows.count * stride), stride, into, rows.first * classes, classes, rows.count);
  }

  /**
   * DIST of the matrices; writes the gradient into `gradient` when given; with `whole`, the loss of
   * the whole batch these rows are a shard of, and their rows of its gradient. The loss is NaN when
   * a logit is not finite or beyond core's `logitLimit`, or when eps = 0 meets a constant row or
   * column: the caller explains which. Undefined when the memory cannot hold the call's scratch.
   * `hooks` copy each part's rows in and out (see `PartHooks`) when the matrices are not already there.
   */
  run(
    shape: CallShape,
    student: KernelRegion,
    teacher: KernelRegion,
    gradient: KernelRegion | undefined,
    options: DistOptions,
    whole?: WholeBatch,
    hooks?: PartHooks,
  ): CallTerms | undefined {
    const call = this.layOut(shape);
    if (!call) return undefined;
    const matrices = { student: student.address, teacher: teacher.address, gradient: gradient?.address };
    return runCall({ kernel: this.kernel, memory: this.memory, runner: call.runner, shape, regions: call.regions, matrices, options, hooks }, whole);
  }

  /**
   * Phase 1 of a shard: the rows' sum of 1 - r_i (NaN for a bad logit) and their column statistics.
   * Undefined when the memory cannot hold the call's scratch.
   */
  statistics(shape: CallShape, student: KernelRegion, teacher: KernelRegion, options: DistOptions, hooks?: PartHooks): WholeBatch | undefined {
    const call = this.layOut(shape);
    if (!call) return undefined;
    const matrices = { student: student.address, teacher: teacher.address };
    return runStatistics({ kernel: this.kernel, memory: this.memory, runner: call.runner, shape, regions: call.regions, matrices, options, hooks });
  }

  /** The scratch of a call (kept while calls fit in it) and who runs its parts. */
  private layOut(shape: CallShape): { regions: CallRegions; runner: PartRunner } | undefined {
    const parts = this.partsFor(shape);
    const bytes = callBytes(this.kernel, shape, parts);
    if (!this.scratch || this.scratch.bytes < bytes) {
      if (this.scratch) this.free(this.scratch);
      this.scratch = this.allocate(bytes);
      if (!this.scratch) return undefined;
    }
    return { regions: callRegions(this.kernel, shape, parts, this.scratch.address), runner: parts > 1 ? this.runner : this.single };
  }

  /** Stops the worker threads. */
  dispose(): void {
    this.pool?.terminate();
  }

  private partsFor(shape: CallShape): number {
    return shape.batch * shape.classes < this.threshold ? 1 : Math.max(1, Math.min(this.threads, shape.batch));
  }
}

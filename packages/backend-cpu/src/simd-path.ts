/**
 * The default path: the WebAssembly SIMD kernel (@dist-kd/kernel-wasm) on every core. A call copies
 * the caller's logits into the kernel's memory and the gradient out of it, before it returns, so the
 * caller may reuse its arrays as soon as `compute` has returned its promise; a binding keeps its
 * logits there between calls. The copies go part by part (the kernel's `PartHooks`): a worker starts
 * on its rows while the calling thread copies the next part's, and the calling thread copies its own
 * gradient rows out while the workers finish theirs.
 */
import {
  allocateGradient,
  checkLogitValues,
  degenerateError,
  MemoryLimitError,
  type DistInput,
  type DistResult,
  type DistTerms,
} from '@dist-kd/core';
import { ParallelSimdKernel, type KernelRegion, type PartHooks, type RowRange, type WholeBatch } from '@dist-kd/kernel-wasm';

export interface SimdPathOptions {
  readonly threads?: number;
  readonly parallelThreshold?: number;
  readonly memoryLimitBytes?: number;
}

/** Logits (and a gradient matrix) in the kernel's memory, for one call or for a binding's life. */
export interface ResidentInput {
  readonly input: DistInput;
  readonly student: KernelRegion;
  readonly teacher: KernelRegion;
  readonly gradient: KernelRegion;
}

export class SimdPath {
  readonly kernel: ParallelSimdKernel;
  /** The matrices of unbound calls, kept while calls fit in them. */
  private unbound: ResidentInput | undefined;

  /** The most memory this path may hold: the kernel's (4 GiB, wasm32), or less when so configured. */
  private readonly maxBytes: number;

  constructor(options: SimdPathOptions) {
    this.kernel = new ParallelSimdKernel({ ...options, owner: 'cpu' });
    this.maxBytes = Math.min(this.kernel.maxBytes, options.memoryLimitBytes ?? Infinity);
  }

  /** With `whole`, the loss of the whole batch this input is a shard of, and its rows of the gradient. */
  compute(input: DistInput, whole?: WholeBatch): DistResult {
    const resident = this.residentFor(input);
    if (!input.gradient) return this.run(resident, false, whole, this.copyIn(resident));
    // Every row is copied out below before the gradient is returned (or the call throws).
    const gradient = allocateGradient(input, 'overwritten');
    const copyOut = (rows: RowRange) => this.kernel.read(resident.gradient, input.batch, input.classes, gradient, rows);
    const terms = this.run(resident, true, whole, { ...this.copyIn(resident), afterBackward: copyOut });
    return { ...terms, gradient };
  }

  /** Copies the logits into regions of their own, for a binding; `release` frees them. */
  keep(input: DistInput): ResidentInput {
    const regions = this.allocateMatrices(input);
    this.kernel.write(input.student, input.batch, input.classes, regions.student);
    this.kernel.write(input.teacher, input.batch, input.classes, regions.teacher);
    return { input, ...regions };
  }

  release(resident: ResidentInput): void {
    for (const region of [resident.student, resident.teacher, resident.gradient]) this.kernel.free(region);
  }

  /**
   * Loss and terms of resident logits; with `gradient`, the gradient left in `resident.gradient`.
   * `hooks` copy the logits in and the gradient out part by part, for unbound calls.
   */
  run(resident: ResidentInput, gradient: boolean, whole?: WholeBatch, hooks?: PartHooks): DistTerms {
    const { input } = resident;
    const terms = this.kernel.run(
      { batch: input.batch, classes: input.classes },
      resident.student,
      resident.teacher,
      gradient ? resident.gradient : undefined,
      input.options,
      whole,
      hooks,
    );
    if (!terms) throw tooLarge(input, this.bytesFor(input), this.maxBytes);
    if (!Number.isFinite(terms.loss)) explainNaN(input);
    return terms;
  }

  /** Phase 1 of a shard: its rows' sum of 1 - r_i and column statistics. */
  statistics(input: DistInput): WholeBatch {
    const resident = this.residentFor(input);
    const shape = { batch: input.batch, classes: input.classes };
    const statistics = this.kernel.statistics(shape, resident.student, resident.teacher, input.options, this.copyIn(resident));
    if (!statistics) throw tooLarge(input, this.bytesFor(input), this.maxBytes);
    if (!Number.isFinite(statistics.interSum)) explainNaN(input);
    return statistics;
  }

  dispose(): void {
    this.kernel.dispose();
  }

  /** The unbound call's matrices, for `input` (its logits not copied yet: `copyIn`). */
  private residentFor(input: DistInput): ResidentInput {
    const bytes = ParallelSimdKernel.matrixBytes(input.batch, input.classes);
    if (!this.unbound || this.unbound.student.bytes < bytes) {
      if (this.unbound) this.release(this.unbound);
      this.unbound = undefined;
      this.unbound = { input, ...this.allocateMatrices(input) };
    }
    return { ...this.unbound, input };
  }

  /** Copies each part's rows of the logits in just before its forward. */
  private copyIn(resident: ResidentInput): PartHooks {
    const { input } = resident;
    return {
      beforeForward: (rows) => {
        this.kernel.write(input.student, input.batch, input.classes, resident.student, rows);
        this.kernel.write(input.teacher, input.batch, input.classes, resident.teacher, rows);
      },
    };
  }

  /** Bytes of kernel memory a call on these logits needs: its three matrices and the kernel's scratch. */
  private bytesFor(input: DistInput): number {
    const shape = { batch: input.batch, classes: input.classes };
    return 3 * ParallelSimdKernel.matrixBytes(input.batch, input.classes) + this.kernel.scratchBytes(shape);
  }

  private allocateMatrices(input: DistInput): Omit<ResidentInput, 'input'> {
    const bytes = ParallelSimdKernel.matrixBytes(input.batch, input.classes);
    const needed = this.bytesFor(input);
    // Refused before anything is allocated when it can never fit.
    if (needed > this.maxBytes) throw tooLarge(input, needed, this.maxBytes);
    const taken: KernelRegion[] = [];
    for (let k = 0; k < 3; k++) {
      const region = this.kernel.allocate(bytes);
      if (!region) {
        taken.forEach((r) => this.kernel.free(r));
        throw tooLarge(input, needed, this.maxBytes);
      }
      taken.push(region);
    }
    return { student: taken[0], teacher: taken[1], gradient: taken[2] };
  }
}

/**
 * The kernel's NaN says a logit was bad (the values were not read before) or eps = 0 met a constant
 * row or column: throws the error that says which.
 */
function explainNaN(input: DistInput): never {
  checkLogitValues(input, 'float32');
  throw degenerateError(`eps = ${input.options.eps} (${Math.fround(input.options.eps)} in float32)`);
}

/** Core's MEMORY_LIMIT error, with the kernel's own count of the bytes (its layout, not an estimate). */
function tooLarge(input: DistInput, needed: number, maxBytes: number): MemoryLimitError {
  return new MemoryLimitError(
    'cpu',
    needed,
    maxBytes,
    `[${input.batch}, ${input.classes}] logits need ${Math.ceil(needed / 2 ** 20)} MiB of WebAssembly memory, ` +
      `and this backend can hold at most ${Math.floor(maxBytes / 2 ** 20)} MiB (with its bindings' logits); ` +
      'split the batch into shards of fewer rows (the intra term\'s statistics merge exactly across shards), ' +
      'or dispose bindings you no longer need',
  );
}

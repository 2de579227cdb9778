import { columnCoefficientBytes, createColumnCoefficients, type ColumnCoefficients } from './kernels/backward-rows.js';
import {
  ROW_BLOCK,
  columnPartialBytes,
  createColumnPartial,
  createColumnStats,
  type ColumnPartial,
  type ColumnStats,
} from './kernels/column-stats.js';
import type { RowStats, SoftmaxStore } from './kernels/forward-rows.js';

/** The raw memory of a workspace: what a thread pool sends to its workers once. */
export interface WorkspaceMemory {
  readonly batch: number;
  readonly classes: number;
  readonly threads: number;
  /** Whether the full [B, C] softmax is kept for a backward pass. */
  readonly keepSoftmax: boolean;
  readonly softmaxStudent: ArrayBufferLike;
  readonly softmaxTeacher: ArrayBufferLike;
  readonly rowStats: ArrayBufferLike;
  readonly partials: readonly ArrayBufferLike[];
  readonly coefficients: ArrayBufferLike;
  readonly rowScratch: ArrayBufferLike;
}

/**
 * Every scratch array one DIST call needs, for a given shape and number of threads, allocated once
 * and reused while the shape stays the same, so a training loop allocates nothing per step but the
 * gradient it asked for. With a `SharedArrayBuffer` allocator the same memory is seen by workers.
 */
export class Workspace {
  readonly rowStats: RowStats;
  readonly partials: ColumnPartial[];
  readonly columnStats: ColumnStats;
  readonly coefficients: ColumnCoefficients;
  private readonly stores: SoftmaxStore[];
  private readonly scratch: Float64Array[];
  private readonly sums: Float64Array[];

  constructor(readonly memory: WorkspaceMemory) {
    const { batch, classes, threads, keepSoftmax } = memory;
    const student = new Float64Array(memory.softmaxStudent);
    const teacher = new Float64Array(memory.softmaxTeacher);
    const block = ROW_BLOCK * classes;
    this.stores = Array.from({ length: threads }, (_, t) =>
      keepSoftmax
        ? { student, teacher, full: true }
        : { student: student.subarray(t * block, (t + 1) * block), teacher: teacher.subarray(t * block, (t + 1) * block), full: false },
    );
    const rowArray = (k: number) => new Float64Array(memory.rowStats, k * batch * 8, batch);
    this.rowStats = {
      terms: { r: rowArray(0), inverseD: rowArray(1), ratio: rowArray(2) },
      meanStudent: rowArray(3),
      meanTeacher: rowArray(4),
    };
    this.partials = memory.partials.map((buffer) => createColumnPartial(classes, buffer));
    this.columnStats = createColumnStats(classes);
    this.coefficients = createColumnCoefficients(classes, memory.coefficients);
    this.scratch = Array.from({ length: threads }, (_, t) => new Float64Array(memory.rowScratch, t * classes * 8, classes));
    this.sums = Array.from({ length: threads }, () => new Float64Array(5));
  }

  static allocate(
    batch: number,
    classes: number,
    threads: number,
    keepSoftmax: boolean,
    allocate: (bytes: number) => ArrayBufferLike = (bytes) => new ArrayBuffer(bytes),
  ): Workspace {
    const softmaxBytes = (keepSoftmax ? batch : threads * ROW_BLOCK) * classes * 8;
    return new Workspace({
      batch,
      classes,
      threads,
      keepSoftmax,
      softmaxStudent: allocate(softmaxBytes),
      softmaxTeacher: allocate(softmaxBytes),
      rowStats: allocate(5 * batch * 8),
      partials: Array.from({ length: threads }, () => allocate(columnPartialBytes(classes))),
      coefficients: allocate(columnCoefficientBytes(classes)),
      rowScratch: allocate(threads * classes * 8),
    });
  }

  /** Whether this workspace serves a call of that shape; one that keeps the softmax serves forward-only calls too. */
  fits(batch: number, classes: number, threads: number, keepSoftmax: boolean): boolean {
    const m = this.memory;
    return m.batch === batch && m.classes === classes && m.threads === threads && (m.keepSoftmax || !keepSoftmax);
  }

  /** Thread `thread`'s place for softmax rows. */
  store(thread: number): SoftmaxStore {
    return this.stores[thread];
  }

  rowScratch(thread: number): Float64Array {
    return this.scratch[thread];
  }

  /** Five numbers a thread's forward pass returns per row (its centred sums and means). */
  rowSums(thread: number): Float64Array {
    return this.sums[thread];
  }

  get softmaxStudent(): Float64Array {
    return this.stores[0].student;
  }

  get softmaxTeacher(): Float64Array {
    return this.stores[0].teacher;
  }
}

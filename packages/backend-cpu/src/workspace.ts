import { columnCoefficientBytes, createColumnCoefficients, type ColumnCoefficients } from './kernels/backward-rows.js';
import {
  ROW_BLOCK,
  columnPartialBytes,
  createColumnPartial,
  createColumnStats,
  type ColumnPartial,
  type ColumnStats,
} from './kernels/column-stats.js';
import type { CorrelationTerms } from './kernels/correlation.js';
import type { CentredStore } from './kernels/forward-rows.js';

/** The raw memory of a workspace: what a thread pool sends to its workers once. */
export interface WorkspaceMemory {
  readonly batch: number;
  readonly classes: number;
  readonly threads: number;
  /** Whether the full [B, C] centred softmax is kept for a backward pass. */
  readonly keepCentred: boolean;
  readonly centredStudent: ArrayBufferLike;
  readonly centredTeacher: ArrayBufferLike;
  readonly rowTerms: ArrayBufferLike;
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
  readonly rowTerms: CorrelationTerms;
  readonly partials: ColumnPartial[];
  readonly columnStats: ColumnStats;
  readonly coefficients: ColumnCoefficients;
  private readonly stores: CentredStore[];
  private readonly scratch: Float64Array[];
  private readonly sums: Float64Array[];

  constructor(readonly memory: WorkspaceMemory) {
    const { batch, classes, threads, keepCentred } = memory;
    const student = new Float64Array(memory.centredStudent);
    const teacher = new Float64Array(memory.centredTeacher);
    const block = ROW_BLOCK * classes;
    this.stores = Array.from({ length: threads }, (_, t) =>
      keepCentred
        ? { student, teacher, full: true }
        : { student: student.subarray(t * block, (t + 1) * block), teacher: teacher.subarray(t * block, (t + 1) * block), full: false },
    );
    this.rowTerms = {
      r: new Float64Array(memory.rowTerms, 0, batch),
      inverseD: new Float64Array(memory.rowTerms, batch * 8, batch),
      ratio: new Float64Array(memory.rowTerms, 2 * batch * 8, batch),
    };
    this.partials = memory.partials.map((buffer) => createColumnPartial(classes, buffer));
    this.columnStats = createColumnStats(classes);
    this.coefficients = createColumnCoefficients(classes, memory.coefficients);
    this.scratch = Array.from({ length: threads }, (_, t) => new Float64Array(memory.rowScratch, t * classes * 8, classes));
    this.sums = Array.from({ length: threads }, () => new Float64Array(3));
  }

  static allocate(
    batch: number,
    classes: number,
    threads: number,
    keepCentred: boolean,
    allocate: (bytes: number) => ArrayBufferLike = (bytes) => new ArrayBuffer(bytes),
  ): Workspace {
    const centredBytes = (keepCentred ? batch : threads * ROW_BLOCK) * classes * 8;
    return new Workspace({
      batch,
      classes,
      threads,
      keepCentred,
      centredStudent: allocate(centredBytes),
      centredTeacher: allocate(centredBytes),
      rowTerms: allocate(3 * batch * 8),
      partials: Array.from({ length: threads }, () => allocate(columnPartialBytes(classes))),
      coefficients: allocate(columnCoefficientBytes(classes)),
      rowScratch: allocate(threads * classes * 8),
    });
  }

  /** Whether this workspace serves a call of that shape; one that keeps the centred softmax serves forward-only calls too. */
  fits(batch: number, classes: number, threads: number, keepCentred: boolean): boolean {
    const m = this.memory;
    return m.batch === batch && m.classes === classes && m.threads === threads && (m.keepCentred || !keepCentred);
  }

  /** Thread `thread`'s place for centred rows. */
  store(thread: number): CentredStore {
    return this.stores[thread];
  }

  rowScratch(thread: number): Float64Array {
    return this.scratch[thread];
  }

  /** Three numbers a thread's forward pass returns per row (its centred sums). */
  rowSums(thread: number): Float64Array {
    return this.sums[thread];
  }

  get centredStudent(): Float64Array {
    return this.stores[0].student;
  }

  get centredTeacher(): Float64Array {
    return this.stores[0].teacher;
  }
}

import type { DistOptions } from '@dist-kd/core';
import { backwardRows, createColumnCoefficients, type ColumnCoefficients } from './kernels/backward-rows.js';
import {
  ROW_BLOCK,
  createColumnPartial,
  createColumnStats,
  resetColumnPartial,
  type ColumnPartial,
  type ColumnStats,
} from './kernels/column-stats.js';
import { forwardRows, type RowStats, type SoftmaxStore } from './kernels/forward-rows.js';

/**
 * Every scratch array one thread needs for its rows of a DIST call, allocated once and reused while
 * the shape stays the same, so a training loop allocates nothing per step but the gradient.
 */
export class Workspace {
  readonly store: SoftmaxStore;
  readonly rowStats: RowStats;
  readonly partial: ColumnPartial;
  readonly columnStats: ColumnStats;
  readonly coefficients: ColumnCoefficients;
  /** One row of dloss/dp in the backward pass. */
  readonly rowScratch: Float64Array;
  /** Five numbers the forward pass returns per row (its centred sums and means). */
  readonly rowSums = new Float64Array(5);

  /**
   * `rows` is how many rows this thread handles; with `keepSoftmax` their full softmax is kept for
   * the backward pass, otherwise only a block of rows at a time.
   */
  constructor(
    readonly rows: number,
    readonly classes: number,
    readonly keepSoftmax: boolean,
  ) {
    const stored = (keepSoftmax ? rows : ROW_BLOCK) * classes;
    this.store = { student: new Float64Array(stored), teacher: new Float64Array(stored), full: keepSoftmax };
    const rowArray = () => new Float64Array(rows);
    this.rowStats = {
      terms: { r: rowArray(), inverseD: rowArray(), ratio: rowArray() },
      meanStudent: rowArray(),
      meanTeacher: rowArray(),
    };
    this.partial = createColumnPartial(classes);
    this.columnStats = createColumnStats(classes);
    this.coefficients = createColumnCoefficients(classes);
    this.rowScratch = new Float64Array(classes);
  }

  /** Whether this workspace serves such a call; one that keeps the softmax serves forward-only calls too. */
  fits(rows: number, classes: number, keepSoftmax: boolean): boolean {
    return this.rows === rows && this.classes === classes && (this.keepSoftmax || !keepSoftmax);
  }

  /**
   * The forward pass over this thread's rows (all of `student` and `teacher`, from row 0): fills
   * the row stats and the column partial, keeps the softmax if asked, returns sum of (1 - r).
   */
  forward(student: Float32Array | Float64Array, teacher: Float32Array | Float64Array, options: DistOptions): number {
    resetColumnPartial(this.partial);
    return forwardRows(student, teacher, this.classes, 0, this.rows, options, this.store, this.rowStats, this.partial, this.rowSums);
  }

  /** The backward pass over this thread's rows into `gradient` (its rows from 0); `batch` is the whole call's B. */
  backward(batch: number, options: DistOptions, columns: ColumnCoefficients, gradient: Float32Array | Float64Array): void {
    backwardRows(this.store.student, this.store.teacher, batch, this.classes, 0, this.rows, options, this.rowStats, columns, this.rowScratch, gradient);
  }

  /** This workspace if it fits, else a new one. */
  static reuse(current: Workspace | undefined, rows: number, classes: number, keepSoftmax: boolean): Workspace {
    return current?.fits(rows, classes, keepSoftmax) ? current : new Workspace(rows, classes, keepSoftmax);
  }
}

import type { DistOptions } from '@dist-kd/core';
import { ROW_BLOCK, accumulateColumns, type ColumnPartial } from './column-stats.js';
import { correlationTerms, type CorrelationTerms } from './correlation.js';
import { sigmoidPairRow } from './sigmoid-rows.js';
import { softmaxPairRow } from './softmax-rows.js';

/**
 * Where the softmax of each row goes: the full [B, C] matrices when the backward pass will need
 * them (`full`), or ROW_BLOCK reused rows for a forward-only call.
 */
export interface SoftmaxStore {
  readonly student: Float64Array;
  readonly teacher: Float64Array;
  readonly full: boolean;
}

/** Per-row results of the forward pass: correlation terms and the softmax rows' means. */
export interface RowStats {
  readonly terms: CorrelationTerms;
  readonly meanStudent: Float64Array;
  readonly meanTeacher: Float64Array;
}

/**
 * Forward over rows [rowStart, rowEnd): the activation (softmax or sigmoid) of both inputs, each row's correlation terms
 * and means (into `rows`), and the column sums (into `columns`), a block of rows at a time.
 * Returns the sum over these rows of (1 - r). `sums` is a 5-element scratch array.
 */
export function forwardRows(
  student: Float32Array | Float64Array,
  teacher: Float32Array | Float64Array,
  classes: number,
  rowStart: number,
  rowEnd: number,
  options: DistOptions,
  store: SoftmaxStore,
  rows: RowStats,
  columns: ColumnPartial,
  sums: Float64Array,
): number {
  const inverseTau = 1 / options.tau;
  const activateRow = options.activation === 'sigmoid' ? sigmoidPairRow : softmaxPairRow;
  let sumOneMinusR = 0;
  for (let blockStart = rowStart; blockStart < rowEnd; blockStart += ROW_BLOCK) {
    const blockEnd = Math.min(blockStart + ROW_BLOCK, rowEnd);
    const blockOffset = store.full ? blockStart * classes : 0;
    for (let i = blockStart; i < blockEnd; i++) {
      const o = blockOffset + (i - blockStart) * classes;
      activateRow(student, teacher, i * classes, classes, inverseTau, store.student, store.teacher, o, sums);
      correlationTerms(sums[0], sums[1], sums[2], options, rows.terms, i);
      rows.meanStudent[i] = sums[3];
      rows.meanTeacher[i] = sums[4];
      sumOneMinusR += 1 - rows.terms.r[i];
    }
    accumulateColumns(columns, store.student, store.teacher, blockOffset, blockEnd - blockStart);
  }
  return sumOneMinusR;
}

import type { DistOptions } from '@dist-kd/core';
import { centredSoftmaxPair } from './centred-softmax.js';
import { ROW_BLOCK, accumulateColumns, type ColumnPartial } from './column-stats.js';
import { correlationTerms, type CorrelationTerms } from './correlation.js';

/**
 * Where the centred softmax of each row goes: the full [B, C] matrices when the backward pass will
 * need them (`full`), or ROW_BLOCK reused rows for a forward-only call.
 */
export interface CentredStore {
  readonly student: Float64Array;
  readonly teacher: Float64Array;
  readonly full: boolean;
}

/**
 * Forward over rows [rowStart, rowEnd): the centred softmax of both inputs, each row's correlation
 * terms (into `rowTerms`), and the column sums (into `columns`), a block of rows at a time.
 * Returns the sum over these rows of (1 - r).
 */
export function forwardRows(
  student: Float32Array | Float64Array,
  teacher: Float32Array | Float64Array,
  classes: number,
  rowStart: number,
  rowEnd: number,
  options: DistOptions,
  store: CentredStore,
  rowTerms: CorrelationTerms,
  columns: ColumnPartial,
  sums: Float64Array,
): number {
  const inverseTau = 1 / options.tau;
  let sumOneMinusR = 0;
  for (let blockStart = rowStart; blockStart < rowEnd; blockStart += ROW_BLOCK) {
    const blockEnd = Math.min(blockStart + ROW_BLOCK, rowEnd);
    const blockOffset = store.full ? blockStart * classes : 0;
    for (let i = blockStart; i < blockEnd; i++) {
      const o = blockOffset + (i - blockStart) * classes;
      centredSoftmaxPair(student, teacher, i * classes, classes, inverseTau, store.student, store.teacher, o, sums);
      correlationTerms(sums[0], sums[1], sums[2], options, rowTerms, i);
      sumOneMinusR += 1 - rowTerms.r[i];
    }
    accumulateColumns(columns, store.student, store.teacher, blockOffset, blockEnd - blockStart);
  }
  return sumOneMinusR;
}

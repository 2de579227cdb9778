import type { DistOptions } from '@dist-kd/core';
import { centredSoftmaxRow } from './centred-softmax.js';
import { accumulateColumns, type ColumnPartial } from './column-stats.js';
import { correlationTerms, type CorrelationTerms } from './correlation.js';

/**
 * Where the centred softmax of each row goes: the full [B, C] matrices when the backward pass will
 * need them (`rowStride` = C), or one reused row (`rowStride` = 0) for a forward-only call.
 */
export interface CentredStore {
  readonly student: Float64Array;
  readonly teacher: Float64Array;
  readonly rowStride: number;
}

/**
 * Forward over rows [rowStart, rowEnd): the centred softmax of both inputs, each row's correlation
 * terms (into `rowTerms`), and the column sums (into `columns`). Returns sum over rows of (1 - r).
 *
 * Each row is finished before the next starts, so its sums are exact centred sums: the row mean of
 * the centred softmax is zero up to rounding, and is subtracted anyway.
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
): number {
  const inverseTau = 1 / options.tau;
  const deltaS = store.student;
  const deltaT = store.teacher;
  let sumOneMinusR = 0;
  for (let i = rowStart; i < rowEnd; i++) {
    const o = i * store.rowStride;
    centredSoftmaxRow(student, i * classes, classes, inverseTau, deltaS, o);
    centredSoftmaxRow(teacher, i * classes, classes, inverseTau, deltaT, o);
    let sumS = 0;
    let sumT = 0;
    let sumST = 0;
    let sumSS = 0;
    let sumTT = 0;
    for (let k = o; k < o + classes; k++) {
      const xs = deltaS[k];
      const xt = deltaT[k];
      sumS += xs;
      sumT += xt;
      sumST += xs * xt;
      sumSS += xs * xs;
      sumTT += xt * xt;
    }
    const meanS = sumS / classes;
    const meanT = sumT / classes;
    correlationTerms(
      sumST - classes * meanS * meanT,
      sumSS - classes * meanS * meanS,
      sumTT - classes * meanT * meanT,
      options,
      rowTerms,
      i,
    );
    sumOneMinusR += 1 - rowTerms.r[i];
    accumulateColumns(columns, deltaS, deltaT, o);
  }
  return sumOneMinusR;
}

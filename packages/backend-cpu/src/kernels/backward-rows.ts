import type { DistOptions } from '@dist-kd/core';
import type { ColumnStats } from './column-stats.js';
import type { CorrelationTerms } from './correlation.js';

/**
 * The backward pass. With x = centred student softmax, y = centred teacher softmax, and the
 * correlation terms of row i (u_i = -(beta tau^2 / B) / D_i, rho_i = ratio) and column j
 * (w_j = -(gamma tau^2 / C) / D_j, sigma_j = ratio):
 *   dloss/dp[i,j] = u_i (y - rho_i x)_row-centred + w_j (y - sigma_j x)_column-centred
 *                 = (u_i + w_j) y - (u_i rho_i + w_j sigma_j) x + w_j (sigma_j mean_x_j - mean_y_j) + (a row constant)
 * The row constant is dropped: the softmax backward, p * (G - sum_k p_k G_k), is blind to it.
 * Then dloss/dz[i,j] = (1/tau) p[i,j] (G[i,j] - sum_k p[i,k] G[i,k]) with p = 1/C + x.
 */
export interface ColumnCoefficients {
  /** w_j */
  readonly teacher: Float64Array;
  /** w_j sigma_j */
  readonly student: Float64Array;
  /** w_j (sigma_j mean_x_j - mean_y_j) */
  readonly offset: Float64Array;
}

export function createColumnCoefficients(classes: number, memory?: ArrayBufferLike): ColumnCoefficients {
  const buffer = memory ?? new ArrayBuffer(3 * classes * 8);
  return {
    teacher: new Float64Array(buffer, 0, classes),
    student: new Float64Array(buffer, classes * 8, classes),
    offset: new Float64Array(buffer, 2 * classes * 8, classes),
  };
}

export function columnCoefficientBytes(classes: number): number {
  return 3 * classes * 8;
}

export function computeColumnCoefficients(
  stats: ColumnStats,
  options: DistOptions,
  out: ColumnCoefficients,
): void {
  const classes = stats.meanStudent.length;
  const factor = -(options.gamma * options.tau * options.tau) / classes;
  for (let j = 0; j < classes; j++) {
    const w = factor * stats.terms.inverseD[j];
    const sigma = stats.terms.ratio[j];
    out.teacher[j] = w;
    out.student[j] = w * sigma;
    out.offset[j] = w * (sigma * stats.meanStudent[j] - stats.meanTeacher[j]);
  }
}

/**
 * Writes dloss/dstudent for rows [rowStart, rowEnd) into `gradient`, from the centred softmax of
 * both inputs ([B, C], row-major) and the row and column terms. `rowScratch` holds one row of G.
 */
export function backwardRows(
  deltaS: Float64Array,
  deltaT: Float64Array,
  batch: number,
  classes: number,
  rowStart: number,
  rowEnd: number,
  options: DistOptions,
  rowTerms: CorrelationTerms,
  columns: ColumnCoefficients,
  rowScratch: Float64Array,
  gradient: Float32Array | Float64Array,
): void {
  const inverseTau = 1 / options.tau;
  const uniform = 1 / classes;
  const rowFactor = -(options.beta * options.tau * options.tau) / batch;
  const { teacher: weightT, student: weightS, offset } = columns;
  const G = rowScratch;
  for (let i = rowStart; i < rowEnd; i++) {
    const u = rowFactor * rowTerms.inverseD[i];
    const uRho = u * rowTerms.ratio[i];
    const o = i * classes;
    let dot = 0;
    for (let j = 0; j < classes; j++) {
      const xs = deltaS[o + j];
      const g = (u + weightT[j]) * deltaT[o + j] - (uRho + weightS[j]) * xs + offset[j];
      G[j] = g;
      dot += (uniform + xs) * g;
    }
    for (let j = 0; j < classes; j++) {
      gradient[o + j] = inverseTau * (uniform + deltaS[o + j]) * (G[j] - dot);
    }
  }
}

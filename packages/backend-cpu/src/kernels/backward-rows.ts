import { termWeights, type DistOptions } from '@dist-kd/core';
import type { ColumnStats } from './column-stats.js';
import type { RowStats } from './forward-rows.js';

/**
 * The backward pass. With x = student softmax, y = teacher softmax, row i's terms
 * (u_i = -(beta tau^2 / B) / D_i, rho_i = ratio, means m) and column j's
 * (w_j = -(gamma tau^2 / C) / D_j, sigma_j = ratio, means mu):
 *   G[i,j] = dloss/dp[i,j] = u_i ((y - my_i) - rho_i (x - mx_i)) + w_j ((y - muy_j) - sigma_j (x - mux_j))
 * Each part is centred before it is scaled: u_i and w_j reach 1e8 for a flat vector, and scaling
 * first would leave rounding noise of that size where the exact difference is zero.
 * Then dloss/dz[i,j] = (1/tau) p[i,j] (G[i,j] - sum_k p[i,k] G[i,k]) with p = x for softmax, and
 * (1/tau) p[i,j] (1 - p[i,j]) G[i,j] for sigmoid.
 */
export interface ColumnCoefficients {
  /** w_j */
  readonly weight: Float64Array;
  /** sigma_j */
  readonly ratio: Float64Array;
  readonly meanStudent: Float64Array;
  readonly meanTeacher: Float64Array;
}

export function createColumnCoefficients(classes: number): ColumnCoefficients {
  const view = () => new Float64Array(classes);
  return { weight: view(), ratio: view(), meanStudent: view(), meanTeacher: view() };
}

export function computeColumnCoefficients(stats: ColumnStats, options: DistOptions, out: ColumnCoefficients): void {
  const classes = stats.meanStudent.length;
  // The softmax backward's 1 / tau folded into the loss's weight here, not after: tau^2 alone may
  // overflow at the top of the supported tau range, tau^2 / tau does not.
  const factor = -(termWeights(options).intra / options.tau) / classes;
  for (let j = 0; j < classes; j++) out.weight[j] = factor * stats.terms.inverseD[j];
  out.ratio.set(stats.terms.ratio);
  out.meanStudent.set(stats.meanStudent);
  out.meanTeacher.set(stats.meanTeacher);
}

/**
 * Writes dloss/dstudent for rows [rowStart, rowEnd) into `gradient`, from the softmax of both
 * inputs ([B, C], row-major) and the row and column terms. `rowScratch` holds one row of G / tau.
 */
export function backwardRows(
  softmaxS: Float64Array,
  softmaxT: Float64Array,
  batch: number,
  classes: number,
  rowStart: number,
  rowEnd: number,
  options: DistOptions,
  rows: RowStats,
  columns: ColumnCoefficients,
  rowScratch: Float64Array,
  gradient: Float32Array | Float64Array,
): void {
  // 1 / tau folded in, as in computeColumnCoefficients.
  const rowFactor = -(termWeights(options).inter / options.tau) / batch;
  const { weight, ratio, meanStudent: muS, meanTeacher: muT } = columns;
  const G = rowScratch;
  const sigmoid = options.activation === 'sigmoid';
  for (let i = rowStart; i < rowEnd; i++) {
    const u = rowFactor * rows.terms.inverseD[i];
    const rho = rows.terms.ratio[i];
    const mS = rows.meanStudent[i];
    const mT = rows.meanTeacher[i];
    const o = i * classes;
    let dot = 0;
    for (let j = 0; j < classes; j++) {
      const x = softmaxS[o + j];
      const y = softmaxT[o + j];
      const g = u * (y - mT - rho * (x - mS)) + weight[j] * (y - muT[j] - ratio[j] * (x - muS[j]));
      G[j] = g;
      dot += x * g;
    }
    if (sigmoid) {
      for (let j = 0; j < classes; j++) {
        const x = softmaxS[o + j];
        gradient[o + j] = x * (1 - x) * G[j];
      }
      continue;
    }
    for (let j = 0; j < classes; j++) {
      gradient[o + j] = softmaxS[o + j] * (G[j] - dot);
    }
  }
}

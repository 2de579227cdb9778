import { expm1NonPositive } from './exp.js';

/**
 * Writes the centred softmax of one row, delta_j = softmax(z / tau)_j - 1/C, into `out`.
 *
 * With e_j = exp((z_j - max) / tau) and S = sum(e), delta_j = (e_j - mean(e)) / S. Both e_j and
 * mean(e) are carried as e - 1, so rows of nearly equal logits (where every e_j is close to 1)
 * keep their differences instead of rounding them away. p_j itself is 1/C + delta_j.
 */
export function centredSoftmaxRow(
  logits: Float32Array | Float64Array,
  rowStart: number,
  classes: number,
  inverseTau: number,
  out: Float64Array,
  outStart: number,
): void {
  const rowEnd = rowStart + classes;
  let max = -Infinity;
  for (let k = rowStart; k < rowEnd; k++) if (logits[k] > max) max = logits[k];
  let sumExpm1 = 0;
  for (let j = 0; j < classes; j++) {
    const em1 = expm1NonPositive((logits[rowStart + j] - max) * inverseTau);
    out[outStart + j] = em1;
    sumExpm1 += em1;
  }
  const meanExpm1 = sumExpm1 / classes;
  // S >= 1 (the largest e_j is 1), so this sum of e_j - 1 plus C loses nothing that matters.
  const inverseSum = 1 / (classes + sumExpm1);
  for (let j = outStart; j < outStart + classes; j++) out[j] = (out[j] - meanExpm1) * inverseSum;
}

import { expm1NonPositive } from './exp.js';

/**
 * Writes the centred softmax of one row of student and teacher logits,
 * delta_j = softmax(z / tau)_j - 1/C, into `outS` and `outT` at `outStart`, and returns the row's
 * centred sums through `sums`: [Sxy, Sxx, Syy] of (delta_s, delta_t).
 *
 * With e_j = exp((z_j - max) / tau) and S = sum(e), delta_j = (e_j - mean(e)) / S. Both e_j and
 * mean(e) are carried as e - 1, so rows of nearly equal logits (where every e_j is close to 1)
 * keep their differences instead of rounding them away. p_j itself is 1/C + delta_j.
 * Student and teacher share the loops: half the loop overhead, and two independent exp chains.
 */
export function centredSoftmaxPair(
  student: Float32Array | Float64Array,
  teacher: Float32Array | Float64Array,
  rowStart: number,
  classes: number,
  inverseTau: number,
  outS: Float64Array,
  outT: Float64Array,
  outStart: number,
  sums: Float64Array,
): void {
  const rowEnd = rowStart + classes;
  let maxS = -Infinity;
  let maxT = -Infinity;
  for (let k = rowStart; k < rowEnd; k++) {
    if (student[k] > maxS) maxS = student[k];
    if (teacher[k] > maxT) maxT = teacher[k];
  }
  let sumExpm1S = 0;
  let sumExpm1T = 0;
  const shift = outStart - rowStart;
  for (let k = rowStart; k < rowEnd; k++) {
    const es = expm1NonPositive((student[k] - maxS) * inverseTau);
    const et = expm1NonPositive((teacher[k] - maxT) * inverseTau);
    outS[k + shift] = es;
    outT[k + shift] = et;
    sumExpm1S += es;
    sumExpm1T += et;
  }
  const meanS = sumExpm1S / classes;
  const meanT = sumExpm1T / classes;
  // S >= 1 (the largest e_j is 1), so the sum of e_j - 1 plus C loses nothing that matters.
  const inverseSumS = 1 / (classes + sumExpm1S);
  const inverseSumT = 1 / (classes + sumExpm1T);
  let rowS = 0;
  let rowT = 0;
  let rowST = 0;
  let rowSS = 0;
  let rowTT = 0;
  const outEnd = outStart + classes;
  for (let k = outStart; k < outEnd; k++) {
    const xs = (outS[k] - meanS) * inverseSumS;
    const xt = (outT[k] - meanT) * inverseSumT;
    outS[k] = xs;
    outT[k] = xt;
    rowS += xs;
    rowT += xt;
    rowST += xs * xt;
    rowSS += xs * xs;
    rowTT += xt * xt;
  }
  // The row means of delta are zero up to rounding; subtracting them keeps the sums exact centred sums.
  const centreS = rowS / classes;
  const centreT = rowT / classes;
  sums[0] = rowST - classes * centreS * centreT;
  sums[1] = rowSS - classes * centreS * centreS;
  sums[2] = rowTT - classes * centreT * centreT;
}

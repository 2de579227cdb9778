import { expNonPositive } from './exp.js';

/**
 * Writes sigmoid(z / tau) of one row of student and teacher logits into `outS` and `outT` at
 * `outStart`, and returns the row's centred sums through `sums`: [Sxy, Sxx, Syy, mean_s, mean_t],
 * the same contract as `softmaxPairRow`.
 *
 * sigmoid(v) is computed from e = exp(-|v|) <= 1 (no overflow): e / (1 + e) for v < 0, which keeps
 * the relative precision of tiny probabilities, and 1 / (1 + e) otherwise. Unlike a softmax row,
 * whose mean is exactly 1/C, a sigmoid row's mean is only known after the row: the centred sums are
 * taken in a second sweep around the computed mean, corrected by the residual of that mean.
 */
export function sigmoidPairRow(
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
  let sumS = 0;
  let sumT = 0;
  const shift = outStart - rowStart;
  const rowEnd = rowStart + classes;
  for (let k = rowStart; k < rowEnd; k++) {
    const ps = sigmoid(student[k] * inverseTau);
    const pt = sigmoid(teacher[k] * inverseTau);
    outS[k + shift] = ps;
    outT[k + shift] = pt;
    sumS += ps;
    sumT += pt;
  }
  const meanS = sumS / classes;
  const meanT = sumT / classes;
  let rowS = 0;
  let rowT = 0;
  let rowST = 0;
  let rowSS = 0;
  let rowTT = 0;
  const outEnd = outStart + classes;
  for (let k = outStart; k < outEnd; k++) {
    const xs = outS[k] - meanS;
    const xt = outT[k] - meanT;
    rowS += xs;
    rowT += xt;
    rowST += xs * xt;
    rowSS += xs * xs;
    rowTT += xt * xt;
  }
  const residualS = rowS / classes;
  const residualT = rowT / classes;
  sums[0] = rowST - classes * residualS * residualT;
  sums[1] = rowSS - classes * residualS * residualS;
  sums[2] = rowTT - classes * residualT * residualT;
  sums[3] = meanS + residualS;
  sums[4] = meanT + residualT;
}

function sigmoid(v: number): number {
  const e = expNonPositive(-Math.abs(v));
  return v < 0 ? e / (1 + e) : 1 / (1 + e);
}

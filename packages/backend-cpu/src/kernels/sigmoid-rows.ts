import { scaleAndCentredSums } from './centred-sums.js';
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
  scaleAndCentredSums(outS, outT, outStart, classes, 1, 1, sumS / classes, sumT / classes, sums);
}

function sigmoid(v: number): number {
  const e = expNonPositive(-Math.abs(v));
  return v < 0 ? e / (1 + e) : 1 / (1 + e);
}

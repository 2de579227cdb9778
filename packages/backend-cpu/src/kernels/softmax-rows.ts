import { scaleAndCentredSums } from './centred-sums.js';
import { expNonPositive } from './exp.js';

/**
 * Writes softmax(z / tau) of one row of student and teacher logits into `outS` and `outT` at
 * `outStart`, and returns the row's centred sums through `sums`: [Sxy, Sxx, Syy, mean_s, mean_t].
 *
 * The probabilities are stored as they are (not minus 1/C), so the tiny tail probabilities of a
 * peaked row keep their relative precision: a column whose every entry is ~1e-30 still has a
 * well-defined correlation, and the float64 reference computes it. Student and teacher share the
 * loops: half the loop overhead, and two independent exp chains.
 */
export function softmaxPairRow(
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
  let sumS = 0;
  let sumT = 0;
  const shift = outStart - rowStart;
  for (let k = rowStart; k < rowEnd; k++) {
    const es = expNonPositive((student[k] - maxS) * inverseTau);
    const et = expNonPositive((teacher[k] - maxT) * inverseTau);
    outS[k + shift] = es;
    outT[k + shift] = et;
    sumS += es;
    sumT += et;
  }
  // Centred sums, accumulated shifted by 1/C (each row's exact mean) and corrected by the computed
  // mean's residual.
  const uniform = 1 / classes;
  scaleAndCentredSums(outS, outT, outStart, classes, 1 / sumS, 1 / sumT, uniform, uniform, sums);
}

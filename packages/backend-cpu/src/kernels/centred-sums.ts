/**
 * The last sweep over one row pair: scales the stored values (softmax: by 1 / row sum; sigmoid: by 1)
 * and returns the row's centred sums through `sums`: [Sxy, Sxx, Syy, mean_s, mean_t]. The sums are
 * accumulated around `centreS` and `centreT` (1/C, a softmax row's exact mean; or the computed mean
 * of a sigmoid row) and corrected by the residual of that centre: as exact as a second pass around
 * the true mean, without one.
 */
export function scaleAndCentredSums(
  outS: Float64Array,
  outT: Float64Array,
  outStart: number,
  classes: number,
  scaleS: number,
  scaleT: number,
  centreS: number,
  centreT: number,
  sums: Float64Array,
): void {
  let rowS = 0;
  let rowT = 0;
  let rowST = 0;
  let rowSS = 0;
  let rowTT = 0;
  const outEnd = outStart + classes;
  for (let k = outStart; k < outEnd; k++) {
    const ps = outS[k] * scaleS;
    const pt = outT[k] * scaleT;
    outS[k] = ps;
    outT[k] = pt;
    const xs = ps - centreS;
    const xt = pt - centreT;
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
  sums[3] = centreS + residualS;
  sums[4] = centreT + residualT;
}

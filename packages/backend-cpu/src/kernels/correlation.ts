import { degenerateError, epsPlacement, type DistOptions } from '@dist-kd/core';

/**
 * The scalar end of one Pearson correlation, from its centred sums. Writes into `out` at `index`:
 * `r` = Sxy / D, `inverseD` = 1 / D and `ratio` = r * b / a, where a = sqrt(Sxx + eps_inside),
 * b = sqrt(Syy + eps_inside), D = a*b + eps (eps_inside = eps for the design note, 0 for the
 * official placement). The gradient of r with respect to x_k is (yc_k - ratio * xc_k) / D; when
 * a = 0 every xc_k is 0 and the limit of that term is 0, so ratio is 0 there.
 */
export interface CorrelationTerms {
  readonly r: Float64Array;
  readonly inverseD: Float64Array;
  readonly ratio: Float64Array;
}

export function correlationTerms(
  sxy: number,
  sxx: number,
  syy: number,
  options: DistOptions,
  out: CorrelationTerms,
  index: number,
): void {
  const { eps, epsInside } = epsPlacement(options);
  // Rounding can leave a tiny negative sum of squares for a constant vector; it is a zero.
  const a = Math.sqrt(Math.max(sxx, 0) + epsInside);
  const b = Math.sqrt(Math.max(syy, 0) + epsInside);
  const D = a * b + eps;
  if (D === 0) {
    throw degenerateError();
  }
  const r = sxy / D;
  out.r[index] = r;
  out.inverseD[index] = 1 / D;
  out.ratio[index] = a === 0 ? 0 : (r * b) / a;
}

/**
 * The scalar end of one Pearson correlation from its centred sums (SPEC.md):
 * a = sqrt(Sxx + eps_inside), b = sqrt(Syy + eps_inside), D = a * b + eps, corr = Sxy / D, and
 * dcorr/dx_k = u * yc_k - v * xc_k with u = 1 / D, v = corr * b / (a * D). When a = 0 every xc_k is
 * 0 and the v term's limit is 0. D = 0 (eps = 0 and a constant vector) leaves corr NaN, which the
 * caller turns into a DEGENERATE error.
 */

export let correlationU: f64 = 0;
export let correlationV: f64 = 0;

/** Returns corr and leaves u and v in `correlationU` and `correlationV`. */
export function correlate(sxy: f64, sxx: f64, syy: f64, eps: f64, epsInside: f64): f64 {
  // Rounding can leave a tiny negative sum of squares for a constant vector; it is a zero.
  const a = Math.sqrt(max(sxx, 0) + epsInside);
  const b = Math.sqrt(max(syy, 0) + epsInside);
  const u = 1 / (a * b + eps);
  const r = sxy * u;
  correlationU = u;
  correlationV = a == 0 ? 0 : (r * u * b) / a;
  return r;
}

/**
 * A row's correlation from the sums of its centred values (sx, sy), of their products and their
 * squares, corrected by the residual means sx / n and sy / n (the computed centred values sum to
 * zero only up to rounding): as exact as a second centring pass, without one. u and v as `correlate`.
 */
export function correlateCentredSums(sx: f64, sy: f64, sxy: f64, sxx: f64, syy: f64, n: f64, eps: f64, epsInside: f64): f64 {
  const meanX = sx / n;
  const meanY = sy / n;
  return correlate(sxy - n * meanX * meanY, sxx - n * meanX * meanX, syy - n * meanY * meanY, eps, epsInside);
}

/**
 * The correlation of one student row with its teacher row, from their row-centred softmax values:
 * sums of x, y, xy, xx and yy, corrected by the residual means (the computed p - 1/C sum to zero
 * only up to rounding), as exact as a second centring pass without one.
 */
import { correlate, correlationU, correlationV } from './correlation';
import { CHUNK, total, widenAdd } from './lanes';
import { classes, rowU, rowV, vectors } from './layout';

/** Returns 1 - corr of the row pair and stores its gradient terms for row `index`. */
export function rowCorrelation(x: usize, y: usize, index: i32, eps: f64, epsInside: f64): f64 {
  let sx = f64x2.splat(0);
  let sy = f64x2.splat(0);
  let sxy = f64x2.splat(0);
  let sxx = f64x2.splat(0);
  let syy = f64x2.splat(0);
  for (let start = 0; start < vectors; start += CHUNK) {
    const end = min(start + CHUNK, vectors);
    let cx = f32x4.splat(0);
    let cy = f32x4.splat(0);
    let cxy = f32x4.splat(0);
    let cxx = f32x4.splat(0);
    let cyy = f32x4.splat(0);
    for (let k = start; k < end; k++) {
      const at = <usize>k << 4;
      const xv = v128.load(x + at);
      const yv = v128.load(y + at);
      cx = f32x4.add(cx, xv);
      cy = f32x4.add(cy, yv);
      cxy = f32x4.add(cxy, f32x4.mul(xv, yv));
      cxx = f32x4.add(cxx, f32x4.mul(xv, xv));
      cyy = f32x4.add(cyy, f32x4.mul(yv, yv));
    }
    sx = widenAdd(sx, cx);
    sy = widenAdd(sy, cy);
    sxy = widenAdd(sxy, cxy);
    sxx = widenAdd(sxx, cxx);
    syy = widenAdd(syy, cyy);
  }
  const n = <f64>classes;
  const meanX = total(sx) / n;
  const meanY = total(sy) / n;
  const r = correlate(
    total(sxy) - n * meanX * meanY,
    total(sxx) - n * meanX * meanX,
    total(syy) - n * meanY * meanY,
    eps,
    epsInside,
  );
  store<f64>(rowU + (<usize>index << 3), correlationU);
  store<f64>(rowV + (<usize>index << 3), correlationV);
  return 1 - r;
}

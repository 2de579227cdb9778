/**
 * One student row and its teacher row: softmax(logits / tau) in the two forms DIST needs, p and
 * p - 1/C, and the row's correlation. With m = expm1(z), z = (x - max) / tau and
 * S = sum(exp(z)) = C + sum(m): p = exp(z) / S, precise relative to tiny probabilities, and
 * p - 1/C = (m - mean(m)) / S, precise for the small deviations of a near-uniform row. The two rows
 * share each loop: two independent dependency chains keep the core busy. The logits are only read.
 */
import { correlate, correlationU, correlationV } from './correlation';
import { exp2AndExp2m1 } from './exp';
import { CHUNK, laneMax, laneMin, total, widenAdd } from './lanes';
import { classes, loopConstants, rowU, rowV, tailMask, vectors } from './layout';

// Where in `loopConstants` each per-row constant sits.
const MAX_X: usize = 0;
const MAX_Y: usize = 16;
const SCALE: usize = 32;
const INVERSE_SUM_X: usize = 48;
const INVERSE_SUM_Y: usize = 64;
const MEAN_X: usize = 80;
const MEAN_Y: usize = 96;

/**
 * The row's max, or NaN when a logit is infinite or beyond `limit` in magnitude, so that the whole
 * row, and the loss, turn NaN and the host explains why (min - min is 0, or NaN for an infinite min).
 */
// @ts-ignore: decorator
@inline
function checkedMax(rowMax: v128, rowMin: v128, limit: f32): v128 {
  const bound = f32x4.splat(limit);
  const outside = v128.or(f32x4.gt(rowMax, bound), f32x4.lt(rowMin, f32x4.neg(bound)));
  return v128.bitselect(f32x4.splat(NaN), f32x4.add(rowMax, f32x4.sub(rowMin, rowMin)), outside);
}

/** The row pair's (max, min) logits, as a row max checked by `checkedMax`, into `loopConstants + at`. */
// @ts-ignore: decorator
@inline
function storeCheckedMax(row: usize, at: usize, limit: f32): void {
  const last = vectors - 1;
  // pmax (one instruction) rather than max (a NaN-propagating sequence, ~3x slower in V8): a NaN
  // logit may be skipped here but still turns its exp, and so the loss, into NaN. The row's min is
  // kept too, only to catch -Infinity, which the exp would otherwise absorb as a zero probability.
  let high = f32x4.splat(-Infinity);
  let low = f32x4.splat(Infinity);
  for (let k = 0; k < last; k++) {
    const v = v128.load(row + (<usize>k << 4));
    high = f32x4.pmax(high, v);
    low = f32x4.pmin(low, v);
  }
  // The padding lanes of the last vector must not count.
  const tail = v128.load(row + (<usize>last << 4));
  high = laneMax(f32x4.pmax(high, v128.bitselect(tail, f32x4.splat(-Infinity), tailMask)));
  low = laneMin(f32x4.pmin(low, v128.bitselect(tail, f32x4.splat(Infinity), tailMask)));
  v128.store(loopConstants + at, checkedMax(high, low, limit));
}

/**
 * Row `index`: reads logits `x` (student) and `y` (teacher), writes p and q to `xP` and `yP`, p - 1/C
 * and q - 1/C to `xCentred` and `yCentred`, stores the row's correlation terms; returns 1 - corr.
 */
export function rowPair(
  index: i32,
  x: usize,
  y: usize,
  xP: usize,
  yP: usize,
  xCentred: usize,
  yCentred: usize,
  log2eOverTau: f32,
  limit: f32,
  eps: f64,
  epsInside: f64,
): f64 {
  const last = vectors - 1;
  const lastAt = <usize>last << 4;
  storeCheckedMax(x, MAX_X, limit);
  storeCheckedMax(y, MAX_Y, limit);
  // exp((x - max) / tau) = 2^((x - max) * log2(e) / tau).
  v128.store(loopConstants + SCALE, f32x4.splat(log2eOverTau));

  let sumX = f64x2.splat(0);
  let sumY = f64x2.splat(0);
  for (let start = 0; start < vectors; start += CHUNK) {
    const end = min(start + CHUNK, vectors);
    let chunkX = f32x4.splat(0);
    let chunkY = f32x4.splat(0);
    for (let k = start; k < end; k++) {
      const at = <usize>k << 4;
      const scale = v128.load(loopConstants + SCALE);
      let mx = exp2AndExp2m1(f32x4.mul(f32x4.sub(v128.load(x + at), v128.load(loopConstants + MAX_X)), scale), xP + at);
      let my = exp2AndExp2m1(f32x4.mul(f32x4.sub(v128.load(y + at), v128.load(loopConstants + MAX_Y)), scale), yP + at);
      if (k == last) {
        // Padding lanes hold exp of whatever was there: zero them before they reach a sum.
        mx = v128.and(mx, tailMask);
        my = v128.and(my, tailMask);
        v128.store(xP + at, v128.and(v128.load(xP + at), tailMask));
        v128.store(yP + at, v128.and(v128.load(yP + at), tailMask));
      }
      v128.store(xCentred + at, mx);
      v128.store(yCentred + at, my);
      chunkX = f32x4.add(chunkX, mx);
      chunkY = f32x4.add(chunkY, my);
    }
    sumX = widenAdd(sumX, chunkX);
    sumY = widenAdd(sumY, chunkY);
  }

  const n = <f64>classes;
  const totalX = total(sumX);
  const totalY = total(sumY);
  v128.store(loopConstants + INVERSE_SUM_X, f32x4.splat(<f32>(1 / (n + totalX))));
  v128.store(loopConstants + INVERSE_SUM_Y, f32x4.splat(<f32>(1 / (n + totalY))));
  v128.store(loopConstants + MEAN_X, f32x4.splat(<f32>(totalX / n)));
  v128.store(loopConstants + MEAN_Y, f32x4.splat(<f32>(totalY / n)));
  // The normalising sweep also sums what the row correlation needs.
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
      const inverseSX = v128.load(loopConstants + INVERSE_SUM_X);
      const inverseSY = v128.load(loopConstants + INVERSE_SUM_Y);
      v128.store(xP + at, f32x4.mul(v128.load(xP + at), inverseSX));
      v128.store(yP + at, f32x4.mul(v128.load(yP + at), inverseSY));
      let xc = f32x4.mul(f32x4.sub(v128.load(xCentred + at), v128.load(loopConstants + MEAN_X)), inverseSX);
      let yc = f32x4.mul(f32x4.sub(v128.load(yCentred + at), v128.load(loopConstants + MEAN_Y)), inverseSY);
      if (k == last) {
        // Padding lanes: zero, so that no sum over a row or column sees them.
        xc = v128.and(xc, tailMask);
        yc = v128.and(yc, tailMask);
      }
      v128.store(xCentred + at, xc);
      v128.store(yCentred + at, yc);
      cx = f32x4.add(cx, xc);
      cy = f32x4.add(cy, yc);
      cxy = f32x4.add(cxy, f32x4.mul(xc, yc));
      cxx = f32x4.add(cxx, f32x4.mul(xc, xc));
      cyy = f32x4.add(cyy, f32x4.mul(yc, yc));
    }
    sx = widenAdd(sx, cx);
    sy = widenAdd(sy, cy);
    sxy = widenAdd(sxy, cxy);
    sxx = widenAdd(sxx, cxx);
    syy = widenAdd(syy, cyy);
  }

  // The row correlation from its sums, corrected by the residual means (the computed p - 1/C sum to
  // zero only up to rounding): as exact as a second centring pass, without one.
  const meanXc = total(sx) / n;
  const meanYc = total(sy) / n;
  const r = correlate(
    total(sxy) - n * meanXc * meanYc,
    total(sxx) - n * meanXc * meanXc,
    total(syy) - n * meanYc * meanYc,
    eps,
    epsInside,
  );
  store<f64>(rowU + (<usize>index << 3), correlationU);
  store<f64>(rowV + (<usize>index << 3), correlationV);
  return 1 - r;
}

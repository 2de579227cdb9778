/**
 * One student row and its teacher row: softmax(logits / tau) in the two forms DIST needs, p and
 * p - 1/C, and the row's correlation. With m = expm1(z), z = (x - max) / tau and
 * S = sum(exp(z)) = C + sum(m): p = exp(z) / S, precise relative to tiny probabilities, and
 * p - 1/C = (m - mean(m)) / S or (exp(z) - mean(exp(z))) / S, the first precise for the small
 * deviations of a near-uniform row, the second for the tiny probabilities of a peaked one. The two rows
 * share each loop: two independent dependency chains keep the core busy. The logits are only read.
 */
import { correlateCentredSums, correlationU, correlationV } from './correlation';
import { exp2Scale, exp2Scaled, minusOne } from './exp';
import { CHUNK, laneMax, laneMin, total, widenAdd } from './lanes';
import { classes, expConstants, loopConstants, rowU, rowV, tailMask, vectors } from './layout';

// Where in `loopConstants` each per-row constant sits.
export const MAX_X: usize = 0;
export const MAX_Y: usize = 16;
// Each row's (max, min) over its vectors but the last, before the checked maxima are stored (the
// slots are free until the row's sweeps, in the sigmoid's layout too).
const RANGE_X: usize = 64;
const RANGE_Y: usize = 96;
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

/** The max and min of a row's vectors [0, last) in two chains each, `last` >= 0. */
// @ts-ignore: decorator
@inline
function rangeOfVectors(row: usize, last: i32, out: usize): void {
  // Two chains per extreme: one pmax waits for the previous (4 cycles), two keep the core busy.
  // The max and min are exact whatever the order, so the result does not depend on the split.
  let high0 = f32x4.splat(-Infinity);
  let high1 = high0;
  let low0 = f32x4.splat(Infinity);
  let low1 = low0;
  let k = 0;
  for (; k + 1 < last; k += 2) {
    const v0 = v128.load(row + (<usize>k << 4));
    const v1 = v128.load(row + (<usize>k << 4), 16);
    high0 = f32x4.pmax(high0, v0);
    high1 = f32x4.pmax(high1, v1);
    low0 = f32x4.pmin(low0, v0);
    low1 = f32x4.pmin(low1, v1);
  }
  if (k < last) {
    const v = v128.load(row + (<usize>k << 4));
    high0 = f32x4.pmax(high0, v);
    low0 = f32x4.pmin(low0, v);
  }
  v128.store(out, f32x4.pmax(high0, high1));
  v128.store(out, f32x4.pmin(low0, low1), 16);
}

/**
 * The (max, min) logits of rows `x` and `y`, each as a row max checked by `checkedMax`, into
 * `loopConstants + MAX_X` and `loopConstants + MAX_Y`.
 */
export function storeCheckedMaxima(x: usize, y: usize, limit: f32): void {
  const last = vectors - 1;
  const constants = loopConstants;
  // pmax (one instruction) rather than max (a NaN-propagating sequence, ~3x slower in V8): a NaN
  // logit may be skipped here but still turns its exp, and so the loss, into NaN. The row's min is
  // kept too, only to catch -Infinity, which the exp would otherwise absorb as a zero probability.
  rangeOfVectors(x, last, constants + RANGE_X);
  rangeOfVectors(y, last, constants + RANGE_Y);
  storeCheckedRowMax(x + (<usize>last << 4), constants + RANGE_X, constants + MAX_X, limit);
  storeCheckedRowMax(y + (<usize>last << 4), constants + RANGE_Y, constants + MAX_Y, limit);
}

/** The range at `range` widened by the row's last vector at `lastVector` (its padding lanes left out), as a checked max at `out`. */
// @ts-ignore: decorator
@inline
function storeCheckedRowMax(lastVector: usize, range: usize, out: usize, limit: f32): void {
  const tail = v128.load(lastVector);
  const high = laneMax(f32x4.pmax(v128.load(range), v128.bitselect(tail, f32x4.splat(-Infinity), tailMask)));
  const low = laneMin(f32x4.pmin(v128.load(range, 16), v128.bitselect(tail, f32x4.splat(Infinity), tailMask)));
  v128.store(out, checkedMax(high, low, limit));
}

/**
 * Where a row's centred values p - 1/C = (e - mean(e)) / S = (m - mean(m)) / S come from, and 1 / S
 * and that mean into `loopConstants`, from the row's sums of m and of e = m + 1 (each over f32
 * chunks, in f64). A near-uniform row (S >= C / 2) takes m, which keeps the small deviations that
 * e has rounded away; a peaked one takes e, which keeps its tiny probabilities (as p - 1/C would)
 * where m = e - 1 has rounded them away, and whose error next to m's is the smaller for every class
 * of such a row. The mean comes from the sum of the smaller terms, whose f32 chunks round the less
 * (|m| = 1 - e): sum(e) for a peaked row, where sum(m) adds values near -1; S = C * (1 + mean(m)).
 */
// @ts-ignore: decorator
@inline
function centringSource(sumM: f64, sumE: f64, n: f64, e: usize, m: usize, inverseSum: usize, mean: usize): usize {
  const meanM = -sumM < sumE ? sumM / n : sumE / n - 1;
  const peaked = meanM < -0.5;
  v128.store(loopConstants + inverseSum, f32x4.splat(<f32>(1 / (n * (1 + meanM)))));
  v128.store(loopConstants + mean, f32x4.splat(<f32>(peaked ? 1 + meanM : meanM)));
  return peaked ? e : m;
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
  // The globals the loops use, read once: V8 reloads a global at every use in a loop.
  const constants = loopConstants;
  const expTable = expConstants;
  storeCheckedMaxima(x, y, limit);
  // exp((x - max) / tau) = 2^((x - max) * log2(e) / tau).
  v128.store(constants + SCALE, f32x4.splat(log2eOverTau));

  // Both sums of each row, of m and of e = exp(z): see `centringSource`.
  let sumX = f64x2.splat(0);
  let sumY = f64x2.splat(0);
  let sumExpX = f64x2.splat(0);
  let sumExpY = f64x2.splat(0);
  for (let start = 0; start < vectors; start += CHUNK) {
    const end = min(start + CHUNK, vectors);
    let chunkX = f32x4.splat(0);
    let chunkY = f32x4.splat(0);
    let chunkExpX = f32x4.splat(0);
    let chunkExpY = f32x4.splat(0);
    for (let k = start; k < end; k++) {
      const at = <usize>k << 4;
      const scale = v128.load(constants + SCALE);
      const wx = f32x4.mul(f32x4.sub(v128.load(x + at), v128.load(constants + MAX_X)), scale);
      const wy = f32x4.mul(f32x4.sub(v128.load(y + at), v128.load(constants + MAX_Y)), scale);
      const scaleX = exp2Scale(wx, expTable);
      const scaleY = exp2Scale(wy, expTable);
      const scaledX = exp2Scaled(wx, scaleX, expTable);
      const scaledY = exp2Scaled(wy, scaleY, expTable);
      let ex = f32x4.add(scaleX, scaledX);
      let ey = f32x4.add(scaleY, scaledY);
      let mx = f32x4.add(minusOne(scaleX, expTable), scaledX);
      let my = f32x4.add(minusOne(scaleY, expTable), scaledY);
      if (k == last) {
        // Padding lanes hold exp of whatever was there: zero them before they reach a sum.
        ex = v128.and(ex, tailMask);
        ey = v128.and(ey, tailMask);
        mx = v128.and(mx, tailMask);
        my = v128.and(my, tailMask);
      }
      v128.store(xP + at, ex);
      v128.store(yP + at, ey);
      v128.store(xCentred + at, mx);
      v128.store(yCentred + at, my);
      chunkX = f32x4.add(chunkX, mx);
      chunkY = f32x4.add(chunkY, my);
      chunkExpX = f32x4.add(chunkExpX, ex);
      chunkExpY = f32x4.add(chunkExpY, ey);
    }
    sumX = widenAdd(sumX, chunkX);
    sumY = widenAdd(sumY, chunkY);
    sumExpX = widenAdd(sumExpX, chunkExpX);
    sumExpY = widenAdd(sumExpY, chunkExpY);
  }

  const n = <f64>classes;
  const sourceX = centringSource(total(sumX), total(sumExpX), n, xP, xCentred, INVERSE_SUM_X, MEAN_X);
  const sourceY = centringSource(total(sumY), total(sumExpY), n, yP, yCentred, INVERSE_SUM_Y, MEAN_Y);
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
      const inverseSX = v128.load(constants + INVERSE_SUM_X);
      const inverseSY = v128.load(constants + INVERSE_SUM_Y);
      // Loaded before p overwrites e where e is the source.
      let xc = f32x4.mul(f32x4.sub(v128.load(sourceX + at), v128.load(constants + MEAN_X)), inverseSX);
      let yc = f32x4.mul(f32x4.sub(v128.load(sourceY + at), v128.load(constants + MEAN_Y)), inverseSY);
      v128.store(xP + at, f32x4.mul(v128.load(xP + at), inverseSX));
      v128.store(yP + at, f32x4.mul(v128.load(yP + at), inverseSY));
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

  // The computed p - 1/C sum to zero only up to rounding: their residual means correct the sums.
  const r = correlateCentredSums(total(sx), total(sy), total(sxy), total(sxx), total(syy), n, eps, epsInside);
  store<f64>(rowU + (<usize>index << 3), correlationU);
  store<f64>(rowV + (<usize>index << 3), correlationV);
  return 1 - r;
}

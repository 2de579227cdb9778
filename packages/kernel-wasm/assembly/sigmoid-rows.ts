/**
 * One student row and its teacher row under the sigmoid (SPEC.md, Activation): p = sigmoid(z),
 * z = x / tau, elementwise, in the two forms the columns need, p and p - 1 = -sigmoid(-z), each
 * from t = exp(-|z|) without cancellation (p = 1 / (1 + t) or t / (1 + t), and p - 1 the negated
 * other one), so that p keeps its relative precision where it is tiny and p - 1 where p is near 1;
 * then the row's correlation, centred by the row's mean. The logits are only read.
 */
import { correlateCentredSums, correlationU, correlationV } from './correlation';
import { exp2Scale, exp2Scaled } from './exp';
import { CHUNK, total, widenAdd } from './lanes';
import { classes, expConstants, loopConstants, rowMeanStudent, rowMeanTeacher, rowU, rowV, tailMask, vectors } from './layout';
import { MAX_X, MAX_Y, storeCheckedMaxima } from './row-pair';

// Where in `loopConstants` each per-row constant sits, after row-pair.ts's MAX_X and MAX_Y.
const SCALE: usize = 32;
const ONE: usize = 48;
const MEAN_X: usize = 64;
const MEAN_Y: usize = 80;

/**
 * sigmoid(z) for w = z * log2(e), lane by lane; writes sigmoid(z) - 1 to `minusOneOut`. `constants`
 * and `expTable`: `loopConstants` and `expConstants`, read once by the caller.
 */
// @ts-ignore: decorator
@inline
function sigmoidAndMinusOne(w: v128, minusOneOut: usize, constants: usize, expTable: usize): v128 {
  // t = 2^-|w| = exp(-|z|) in (0, 1]: no overflow whatever the logit.
  const negative = f32x4.neg(f32x4.abs(w));
  const scale = exp2Scale(negative, expTable);
  const t = f32x4.add(scale, exp2Scaled(negative, scale, expTable));
  const one = v128.load(constants + ONE);
  const r = f32x4.div(one, f32x4.add(one, t));
  const tr = f32x4.mul(t, r);
  // z > 0: p = 1 / (1 + t), 1 - p = t / (1 + t); otherwise the other way round.
  const positive = f32x4.gt(w, f32x4.splat(0));
  v128.store(minusOneOut, f32x4.neg(v128.bitselect(tr, r, positive)));
  return v128.bitselect(r, tr, positive);
}

/**
 * Row `index` under the sigmoid: reads logits `x` (student) and `y` (teacher), writes p and q to
 * `xP` and `yP`, p - 1 and q - 1 to `xMinusOne` and `yMinusOne`, stores the row's correlation terms
 * and means; returns 1 - corr. The scale's `(max - max)` (0, or NaN for a bad logit) turns the whole
 * row NaN as the softmax's max does.
 */
export function sigmoidRowPair(
  index: i32,
  x: usize,
  y: usize,
  xP: usize,
  yP: usize,
  xMinusOne: usize,
  yMinusOne: usize,
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
  const poisonX = f32x4.sub(v128.load(constants + MAX_X), v128.load(constants + MAX_X));
  const poisonY = f32x4.sub(v128.load(constants + MAX_Y), v128.load(constants + MAX_Y));
  const poison = f32x4.add(poisonX, poisonY);
  v128.store(constants + SCALE, f32x4.add(f32x4.splat(log2eOverTau), poison));
  v128.store(constants + ONE, f32x4.splat(1));

  let sumX = f64x2.splat(0);
  let sumY = f64x2.splat(0);
  for (let start = 0; start < vectors; start += CHUNK) {
    const end = min(start + CHUNK, vectors);
    let chunkX = f32x4.splat(0);
    let chunkY = f32x4.splat(0);
    for (let k = start; k < end; k++) {
      const at = <usize>k << 4;
      const scale = v128.load(constants + SCALE);
      let px = sigmoidAndMinusOne(f32x4.mul(v128.load(x + at), scale), xMinusOne + at, constants, expTable);
      let py = sigmoidAndMinusOne(f32x4.mul(v128.load(y + at), scale), yMinusOne + at, constants, expTable);
      if (k == last) {
        // Padding lanes: zero, so that no sum over a row or column sees them.
        px = v128.and(px, tailMask);
        py = v128.and(py, tailMask);
        v128.store(xMinusOne + at, v128.and(v128.load(xMinusOne + at), tailMask));
        v128.store(yMinusOne + at, v128.and(v128.load(yMinusOne + at), tailMask));
      }
      v128.store(xP + at, px);
      v128.store(yP + at, py);
      chunkX = f32x4.add(chunkX, px);
      chunkY = f32x4.add(chunkY, py);
    }
    sumX = widenAdd(sumX, chunkX);
    sumY = widenAdd(sumY, chunkY);
  }

  const n = <f64>classes;
  const meanX = <f32>(total(sumX) / n);
  const meanY = <f32>(total(sumY) / n);
  v128.store(constants + MEAN_X, f32x4.splat(meanX));
  v128.store(constants + MEAN_Y, f32x4.splat(meanY));
  // The centred sums, shifted by the float32 means and corrected by the residual means, as exact
  // as a second centring pass.
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
      let xc = f32x4.sub(v128.load(xP + at), v128.load(constants + MEAN_X));
      let yc = f32x4.sub(v128.load(yP + at), v128.load(constants + MEAN_Y));
      if (k == last) {
        xc = v128.and(xc, tailMask);
        yc = v128.and(yc, tailMask);
      }
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
  const residualX = total(sx) / n;
  const residualY = total(sy) / n;
  const r = correlateCentredSums(total(sx), total(sy), total(sxy), total(sxx), total(syy), n, eps, epsInside);
  store<f64>(rowU + (<usize>index << 3), correlationU);
  store<f64>(rowV + (<usize>index << 3), correlationV);
  // The means the backward centres with: the float32 ones plus the residuals, in float64.
  store<f64>(rowMeanStudent + (<usize>index << 3), <f64>meanX + residualX);
  store<f64>(rowMeanTeacher + (<usize>index << 3), <f64>meanY + residualY);
  return 1 - r;
}

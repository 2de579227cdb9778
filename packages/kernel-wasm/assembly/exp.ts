/**
 * 2^w and 2^w - 1 of four floats at once, for w <= 0, from one polynomial: exp(z) and expm1(z) for
 * w = z * log2(e), which the caller folds into its scaling of the logits.
 *
 * DIST needs both, each where the other is imprecise: e = 2^w keeps its relative precision for the
 * tiny probabilities of a peaked row (down to 2^-126, the smallest normal float; below that it
 * returns 2^-126 instead of a denormal), and m = 2^w - 1 keeps the small deviations of a near-uniform
 * row, which 1 + (p - 1) would round away.
 *
 * w = n + f with n an integer and |f| <= 1/2 (f = w - n is exact), 2^f - 1 = f * ln2 + f^2 * Q(f)
 * with Q a degree-4 minimax polynomial (`scripts/fit-expm1.py`: 1.3e-8 relative in exact arithmetic,
 * 2.4 ulp evaluated in float32), then e = 2^n * (1 + (2^f - 1)) and m = 2^n * (2^f - 1) + (2^n - 1),
 * exact in the last step when n = 0, i.e. for |w| < 1/2.
 */
import { expConstants } from './layout';

// Offsets of the constants in `expConstants`, each four lanes.
const LOWEST: usize = 0; // lowest w: 2^-126 is the smallest normal float
const ROUNDER: usize = 16; // 1.5 * 2^23: adding it rounds to an integer
const C4: usize = 32;
const C3: usize = 48;
const C2: usize = 64;
const C1: usize = 80;
const C0: usize = 96;
const LN2: usize = 112;
const ONE: usize = 128;
const EXPONENT_BIAS: usize = 144; // i32: 127 - bits(1.5 * 2^23), turns the rounded sum's bits into 2^n's exponent

/** Writes the constants; `layOut` must have placed `expConstants`. */
export function writeExpConstants(): void {
  v128.store(expConstants + LOWEST, f32x4.splat(-126.0));
  v128.store(expConstants + ROUNDER, f32x4.splat(12582912.0));
  v128.store(expConstants + C4, f32x4.splat(0.00015398397));
  v128.store(expConstants + C3, f32x4.splat(0.0013387767));
  v128.store(expConstants + C2, f32x4.splat(0.0096182479));
  v128.store(expConstants + C1, f32x4.splat(0.055503666));
  v128.store(expConstants + C0, f32x4.splat(0.24022649));
  v128.store(expConstants + LN2, f32x4.splat(0.69314718));
  v128.store(expConstants + ONE, f32x4.splat(1.0));
  v128.store(expConstants + EXPONENT_BIAS, i32x4.splat(127 - 0x4b400000));
}

// Each caller passes `expConstants` as read once into a local (`constants`): a global read in a
// loop is an extra load per use in V8's code, which does not hoist it.
// @ts-ignore: decorator
@inline
function constant(constants: usize, offset: usize): v128 {
  return v128.load(constants + offset);
}

/**
 * 2^w = scale + scaled and 2^w - 1 = (scale - 1) + scaled, lane by lane, from the two halves of
 * the computation: the caller adds them up, so that both results stay in registers. The halves
 * share their first steps; the engine computes those once.
 */
// @ts-ignore: decorator
@inline
export function exp2Scale(w: v128, constants: usize): v128 {
  const rounded = f32x4.add(f32x4.pmax(w, constant(constants, LOWEST)), constant(constants, ROUNDER));
  // 2^n from n's bits in the rounded sum.
  return i32x4.shl(i32x4.add(rounded, constant(constants, EXPONENT_BIAS)), 23);
}

/** The second half: 2^n * (2^f - 1), with 2^n from `exp2Scale(w, constants)`. */
// @ts-ignore: decorator
@inline
export function exp2Scaled(w: v128, scale: v128, constants: usize): v128 {
  const wc = f32x4.pmax(w, constant(constants, LOWEST));
  const rounded = f32x4.add(wc, constant(constants, ROUNDER));
  const f = f32x4.sub(wc, f32x4.sub(rounded, constant(constants, ROUNDER)));
  let q = f32x4.add(f32x4.mul(constant(constants, C4), f), constant(constants, C3));
  q = f32x4.add(f32x4.mul(q, f), constant(constants, C2));
  q = f32x4.add(f32x4.mul(q, f), constant(constants, C1));
  q = f32x4.add(f32x4.mul(q, f), constant(constants, C0));
  const fractionM1 = f32x4.add(f32x4.mul(f, constant(constants, LN2)), f32x4.mul(f32x4.mul(f, f), q));
  return f32x4.mul(scale, fractionM1);
}

/** scale - 1, for 2^w - 1 = (scale - 1) + scaled. */
// @ts-ignore: decorator
@inline
export function minusOne(scale: v128, constants: usize): v128 {
  return f32x4.sub(scale, constant(constants, ONE));
}

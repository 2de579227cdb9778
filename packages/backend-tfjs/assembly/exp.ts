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

// The constants, four lanes each, are read from memory rather than written as v128.const: V8 builds
// a v128.const anew at every use inside a loop (three instructions), a load is one.
const CONSTANTS: usize = memory.data<f32>([
  -126.0, -126.0, -126.0, -126.0, // 0: lowest w: 2^-126 is the smallest normal float
  12582912.0, 12582912.0, 12582912.0, 12582912.0, // 16: 1.5 * 2^23, adding it rounds to an integer
  0.00015398397, 0.00015398397, 0.00015398397, 0.00015398397, // 32: c4
  0.0013387767, 0.0013387767, 0.0013387767, 0.0013387767, // 48: c3
  0.0096182479, 0.0096182479, 0.0096182479, 0.0096182479, // 64: c2
  0.055503666, 0.055503666, 0.055503666, 0.055503666, // 80: c1
  0.24022649, 0.24022649, 0.24022649, 0.24022649, // 96: c0
  0.69314718, 0.69314718, 0.69314718, 0.69314718, // 112: ln2
  1.0, 1.0, 1.0, 1.0, // 128
], 16);
// The integer 127 - bits(1.5 * 2^23), to turn the rounded sum's bits into 2^n's exponent.
const EXPONENT_BIAS: usize = memory.data<i32>([127 - 0x4b400000, 127 - 0x4b400000, 127 - 0x4b400000, 127 - 0x4b400000], 16);

// @ts-ignore: decorator
@inline
function constant(offset: usize): v128 {
  return v128.load(CONSTANTS + offset);
}

/** Writes 2^w to `expOut` and returns 2^w - 1, lane by lane. */
// @ts-ignore: decorator
@inline
export function exp2AndExp2m1(w: v128, expOut: usize): v128 {
  const wc = f32x4.pmax(w, constant(0));
  const rounded = f32x4.add(wc, constant(16));
  const f = f32x4.sub(wc, f32x4.sub(rounded, constant(16)));
  let q = f32x4.add(f32x4.mul(constant(32), f), constant(48));
  q = f32x4.add(f32x4.mul(q, f), constant(64));
  q = f32x4.add(f32x4.mul(q, f), constant(80));
  q = f32x4.add(f32x4.mul(q, f), constant(96));
  const fractionM1 = f32x4.add(f32x4.mul(f, constant(112)), f32x4.mul(f32x4.mul(f, f), q));
  // 2^n from n's bits in the rounded sum.
  const scale = i32x4.shl(i32x4.add(rounded, v128.load(EXPONENT_BIAS)), 23);
  const scaledM1 = f32x4.mul(scale, fractionM1);
  v128.store(expOut, f32x4.add(scale, scaledM1));
  return f32x4.add(f32x4.sub(scale, constant(128)), scaledM1);
}

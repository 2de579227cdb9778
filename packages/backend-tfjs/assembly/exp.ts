/**
 * exp(z) and expm1(z) = exp(z) - 1 of four floats at once, for z <= 0, from one polynomial.
 *
 * DIST needs both, each where the other is imprecise: e = exp(z) keeps its relative precision for
 * the tiny probabilities of a peaked row (down to about 1e-38, the smallest normal float; below that
 * it returns that smallest value instead of a denormal), and m = expm1(z) keeps the small deviations
 * of a near-uniform row, which 1 + (p - 1) would round away.
 *
 * z = n * ln2 + r with |r| <= ln2 / 2 (Cody and Waite's two-part ln2), expm1(r) by its Taylor series
 * to degree 7 (truncation below 2e-8 relative), then e = 2^n * (1 + expm1(r)) and
 * m = 2^n * expm1(r) + (2^n - 1), exact in the last step when n = 0, i.e. for |z| < ln2 / 2.
 */

// The constants, four lanes each, are read from memory rather than written as v128.const: V8 builds
// a v128.const anew at every use inside a loop (three instructions), a load is one.
const CONSTANTS: usize = memory.data<f32>([
  -87.0, -87.0, -87.0, -87.0, // 0: lowest z; 2^-126 = exp(-87.34) is the smallest normal float
  1.44269504, 1.44269504, 1.44269504, 1.44269504, // 16: log2(e)
  12582912.0, 12582912.0, 12582912.0, 12582912.0, // 32: 1.5 * 2^23, adding it rounds to an integer
  0.693359375, 0.693359375, 0.693359375, 0.693359375, // 48: ln2, high part (n * it is exact)
  -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, // 64: ln2, low part
  <f32>(1.0 / 5040.0), <f32>(1.0 / 5040.0), <f32>(1.0 / 5040.0), <f32>(1.0 / 5040.0), // 80
  <f32>(1.0 / 720.0), <f32>(1.0 / 720.0), <f32>(1.0 / 720.0), <f32>(1.0 / 720.0), // 96
  <f32>(1.0 / 120.0), <f32>(1.0 / 120.0), <f32>(1.0 / 120.0), <f32>(1.0 / 120.0), // 112
  <f32>(1.0 / 24.0), <f32>(1.0 / 24.0), <f32>(1.0 / 24.0), <f32>(1.0 / 24.0), // 128
  <f32>(1.0 / 6.0), <f32>(1.0 / 6.0), <f32>(1.0 / 6.0), <f32>(1.0 / 6.0), // 144
  0.5, 0.5, 0.5, 0.5, // 160
  1.0, 1.0, 1.0, 1.0, // 176
], 16);
// 192: the integer 127 - bits(1.5 * 2^23), to turn the rounded sum's bits into 2^n's exponent.
const EXPONENT_BIAS: usize = memory.data<i32>([127 - 0x4b400000, 127 - 0x4b400000, 127 - 0x4b400000, 127 - 0x4b400000], 16);

// @ts-ignore: decorator
@inline
function constant(offset: usize): v128 {
  return v128.load(CONSTANTS + offset);
}

/** Writes exp(z) to `expOut` and returns expm1(z), lane by lane. */
// @ts-ignore: decorator
@inline
export function expAndExpm1(z: v128, expOut: usize): v128 {
  const zc = f32x4.pmax(z, constant(0));
  const rounded = f32x4.add(f32x4.mul(zc, constant(16)), constant(32));
  const n = f32x4.sub(rounded, constant(32));
  const r = f32x4.sub(f32x4.sub(zc, f32x4.mul(n, constant(48))), f32x4.mul(n, constant(64)));
  let poly = f32x4.add(f32x4.mul(constant(80), r), constant(96));
  poly = f32x4.add(f32x4.mul(poly, r), constant(112));
  poly = f32x4.add(f32x4.mul(poly, r), constant(128));
  poly = f32x4.add(f32x4.mul(poly, r), constant(144));
  poly = f32x4.add(f32x4.mul(poly, r), constant(160));
  const expm1r = f32x4.add(r, f32x4.mul(f32x4.mul(r, r), poly));
  // 2^n from n's bits in the rounded sum.
  const scale = i32x4.shl(i32x4.add(rounded, v128.load(EXPONENT_BIAS)), 23);
  const scaledExpm1 = f32x4.mul(scale, expm1r);
  v128.store(expOut, f32x4.add(scale, scaledExpm1));
  return f32x4.add(f32x4.sub(scale, constant(176)), scaledExpm1);
}

/** Small lane helpers shared by the kernels. */

/** acc (two f64 lanes) plus the four f32 lanes of v, widened: sums kept in f64 across chunks. */
// @ts-ignore: decorator
@inline
export function widenAdd(acc: v128, v: v128): v128 {
  const low = f64x2.promote_low_f32x4(v);
  const high = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f64x2.add(acc, f64x2.add(low, high));
}

/** The sum of two f64 lanes. */
// @ts-ignore: decorator
@inline
export function total(acc: v128): f64 {
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
}

/** The largest of four f32 lanes, in all four lanes (pmax: NaN lanes may be skipped). */
// @ts-ignore: decorator
@inline
export function laneMax(v: v128): v128 {
  const pairs = f32x4.pmax(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.pmax(pairs, v128.shuffle<f32>(pairs, pairs, 1, 0, 3, 2));
}

/** The smallest of four f32 lanes, in all four lanes (pmin: NaN lanes may be skipped). */
// @ts-ignore: decorator
@inline
export function laneMin(v: v128): v128 {
  const pairs = f32x4.pmin(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.pmin(pairs, v128.shuffle<f32>(pairs, pairs, 1, 0, 3, 2));
}

/**
 * Vectors whose f32 sums are kept in f32 lanes before they are widened into f64: 64 terms per lane
 * round by at most 64 units of float32's roundoff, and widening less often keeps the loops short.
 */
// @ts-ignore: decorator
@inline export const CHUNK: i32 = 16;

/**
 * e^x for x <= 0 in double precision, about twice as fast as Math.exp in V8, which is not inlined
 * (scripts/exp-speed.mjs).
 *
 * Method: x = (256m + k) * ln2/256 + r with |r| <= ln2/512, so e^x = 2^m * 2^(k/256) * e^r, where
 * e^r - 1 is a degree-4 Taylor polynomial (truncation below 4e-17 on that interval) and
 * e^x = s + s * (e^r - 1) with s = 2^m * 2^(k/256) exact to one rounding. Measured against
 * Math.exp: within 2 ulp on [-745, 0] (test/exp.test.ts).
 */

const STEP_BITS = 8;
const STEPS = 1 << STEP_BITS;
const STEPS_PER_LN2 = STEPS / Math.LN2;
// ln2/256 in two parts (Cody and Waite): HI keeps 32 significant bits, so n * HI is exact for
// |n| < 2^21 (|x| <= 745 gives |n| < 2^19), and LO carries the rest of ln2 to beyond double precision; Math.LN2 alone
// is 2.3e-17 short of ln2, which would cost 200 ulp at x = -700.
const LN2_TAIL = 2.3190468138462996e-17; // ln2 - Math.LN2
const LN2_BY_STEPS = Math.LN2 / STEPS;
const HI_UNIT = 2 ** (Math.floor(Math.log2(LN2_BY_STEPS)) - 31);
const LN2_BY_STEPS_HI = Math.round(LN2_BY_STEPS / HI_UNIT) * HI_UNIT;
const LN2_BY_STEPS_LO = (Math.LN2 - STEPS * LN2_BY_STEPS_HI + LN2_TAIL) / STEPS;

/** 2^(k/256) for k = 0..255. */
const FRACTION_POWERS = Float64Array.from({ length: STEPS }, (_, k) => 2 ** (k / STEPS));
/** 2^m for m = -1100..0, stored at m + 1100; 2^-1075 and below are 0, as e^x is for x < -745. */
const MIN_EXPONENT = -1100;
const POWERS_OF_TWO = Float64Array.from({ length: 1 - MIN_EXPONENT }, (_, i) => 2 ** (i + MIN_EXPONENT));

/** Below this, e^x is 0 in double precision. */
const UNDERFLOW = -745.2;

/** e^x for finite x <= 0. */
export function expNonPositive(x: number): number {
  if (x < UNDERFLOW) return 0;
  // Nearest integer to x * 256/ln2 (which is <= 0) with int32 arithmetic: Math.round is not inlined
  // by V8 and would cost as much as Math.exp itself.
  const n = (x * STEPS_PER_LN2 - 0.5) | 0;
  const r = x - n * LN2_BY_STEPS_HI - n * LN2_BY_STEPS_LO;
  const em1r = r + r * r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120))));
  const s = FRACTION_POWERS[n & (STEPS - 1)] * POWERS_OF_TWO[(n >> STEP_BITS) - MIN_EXPONENT];
  return s + s * em1r;
}

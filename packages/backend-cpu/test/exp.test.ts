import { describe, expect, it } from 'vitest';
import { expNonPositive } from '../src/kernels/exp.js';

/** Distance in units in the last place between two positive doubles. */
function ulps(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return Number(view.getBigInt64(0) - view.getBigInt64(8));
}

describe('expNonPositive', () => {
  it('is within 2 ulp of Math.exp on [-745, 0]', () => {
    let worst = 0;
    let state = 12345;
    for (let k = 0; k < 200000; k++) {
      state = (state * 48271) % 2147483647;
      const unit = state / 2147483647;
      // Half the samples near zero (where softmax rows are near-uniform), half over the whole range.
      const x = k % 2 ? -unit * 745 : -unit * unit * unit * 0.01;
      const expected = Math.exp(x);
      if (expected < 2.2250738585072014e-308) continue; // subnormals: absolute error is what matters there
      worst = Math.max(worst, Math.abs(ulps(expNonPositive(x), expected)));
    }
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('is exact at 0 and 0 below the underflow threshold', () => {
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(-0)).toBe(1);
    expect(expNonPositive(-746)).toBe(0);
    expect(expNonPositive(-1e300)).toBe(0);
  });

  it('tracks Math.exp in the subnormal range to within its spacing', () => {
    for (const x of [-708.5, -720, -740, -745]) {
      expect(Math.abs(expNonPositive(x) - Math.exp(x))).toBeLessThanOrEqual(Math.exp(x) * 1e-12 + 5e-324 * 2);
    }
  });
});

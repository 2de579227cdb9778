/** Comparisons that fail a check with a message naming the value, the expectation and the margin. */
import { fail } from './check.js';

export function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(7);
}

export function expectClose(what: string, actual: number, expected: number, atol: number): void {
  const difference = Math.abs(actual - expected);
  // Written so that NaN fails: every comparison with NaN is false.
  if (!(difference <= atol)) {
    fail(`${what} = ${format(actual)}, expected ${format(expected)} ± ${format(atol)} (off by ${format(difference)})`);
  }
}

/** Element-wise |actual - expected| <= atol; reports the worst element as [row, column]. */
export function expectArrayClose(
  what: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  classes: number,
): void {
  if (actual.length !== expected.length) {
    fail(`${what} has ${actual.length} elements, expected ${expected.length}`);
  }
  let worst = -1;
  let worstDifference = -1;
  let outside = 0;
  for (let k = 0; k < actual.length; k++) {
    const difference = Math.abs(actual[k] - expected[k]);
    if (!(difference <= atol)) outside++;
    if (!(difference <= worstDifference)) {
      worst = k;
      worstDifference = difference;
    }
  }
  if (outside > 0) {
    const at = `[${Math.floor(worst / classes)}, ${worst % classes}]`;
    fail(
      `${what}${at} = ${format(actual[worst])}, expected ${format(expected[worst])} ± ${format(atol)} ` +
        `(off by ${format(worstDifference)}; ${outside} of ${actual.length} elements outside)`,
    );
  }
}

export function expectWithin(what: string, value: number, low: number, high: number): void {
  if (!(value >= low && value <= high)) fail(`${what} = ${format(value)}, expected within [${format(low)}, ${format(high)}]`);
}

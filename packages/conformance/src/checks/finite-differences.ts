/** The gradient against finite differences of the backend's own loss. */
import { mulberry32 } from '@dist-kd/core';
import { computeChecked } from '../backend-calls.js';
import { fail, type ConformanceCheck } from '../check.js';
import { format } from '../compare.js';
import { BASE_PROBLEMS, referenceOf, requestFor, solve, toleranceOf, withLogits, type Problem } from '../problems.js';

export function finiteDifferenceChecks(): ConformanceCheck[] {
  return BASE_PROBLEMS.map(finiteDifferenceCheck);
}

/** Step of the finite differences: a power of two, so logits on the grid stay exact in float32. */
const STEP = 2 ** -4;

/**
 * gradient . v against a fourth-order central difference of the backend's own loss along random
 * sign directions v. The margin adds the difference's rounding (1.5 * loss tolerance / STEP), twice
 * its truncation error as measured on the float64 reference, and the gradient's own tolerance.
 */
export function finiteDifferenceCheck(base: Problem): ConformanceCheck {
  return {
    name: `property/gradient-vs-finite-differences [${base.label}]`,
    run: async (backend) => {
      const [B, C] = base.shape;
      const next = mulberry32(B * 31 + C);
      const tolerance = toleranceOf(base, backend.precision);
      const gradient = (await solve(backend, base)).gradient;
      const exact = referenceOf(base).gradient;
      for (let d = 0; d < 3; d++) {
        const direction = Float64Array.from({ length: B * C }, () => (next() < 0.5 ? -1 : 1));
        const along = (t: number) => base.student.map((v, k) => v + t * STEP * direction[k]);
        const backendLoss = async (t: number) =>
          (await computeChecked(backend, requestFor(backend.precision, withLogits(base, base.label, along(t))))).loss;
        const referenceLoss = async (t: number) => referenceOf(withLogits(base, base.label, along(t))).loss;
        const measured = await centralDifference(backendLoss);
        const truncation = Math.abs((await centralDifference(referenceLoss)) - dot(exact, direction));
        const margin = (1.5 * tolerance.loss) / STEP + 2 * truncation + tolerance.gradient * B * C;
        const analytic = dot(gradient, direction);
        if (!(Math.abs(analytic - measured) <= margin)) {
          fail(
            `gradient . v = ${format(analytic)} but finite differences of the backend's loss give ` +
              `${format(measured)} ± ${format(margin)} (direction ${d})`,
          );
        }
      }
    },
  };
}

async function centralDifference(f: (t: number) => Promise<number>): Promise<number> {
  const [p1, m1, p2, m2] = [await f(1), await f(-1), await f(2), await f(-2)];
  return (8 * (p1 - m1) - (p2 - m2)) / (12 * STEP);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k] * b[k];
  return sum;
}

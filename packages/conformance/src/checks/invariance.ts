/**
 * Symmetries of DIST that need no golden file: softmax ignores a constant added to a row, and the
 * loss does not depend on the order of rows or classes (the gradient follows the order).
 */
import type { ConformanceCheck } from '../check.js';
import { expectArrayClose, expectClose } from '../compare.js';
import { randomPermutation } from '../random-logits.js';
import { BASE_PROBLEMS, solve, sumOf, toleranceOf, withLogits, type Problem } from '../problems.js';
import { termTolerance } from '../tolerance.js';
import type { CheckedResult } from '../backend-calls.js';

export function invarianceChecks(): ConformanceCheck[] {
  return BASE_PROBLEMS.flatMap((base) => [
    shiftCheck(base, 'student', base.shape[0] - 1, 3),
    shiftCheck(base, 'teacher', 0, -2.5),
    permutationCheck(base, 'rows'),
    permutationCheck(base, 'classes'),
  ]);
}

/** Adds `shift` (a multiple of the logit grid, so the sum stays exact) to one row of one side. */
function shiftCheck(base: Problem, side: 'student' | 'teacher', row: number, shift: number): ConformanceCheck {
  return {
    name: `property/shift-invariance/${side}-row [${base.label}]`,
    run: async (backend) => {
      const C = base.shape[1];
      const logits = Float64Array.from(base[side]);
      for (let j = 0; j < C; j++) logits[row * C + j] += shift;
      const shifted =
        side === 'student'
          ? withLogits(base, `${base.label}, student row ${row} + ${shift}`, logits)
          : withLogits(base, `${base.label}, teacher row ${row} + ${shift}`, base.student, logits);
      const expected = await solve(backend, base);
      const actual = await solve(backend, shifted);
      expectSameResult(actual, expected, base, shifted, backend.precision, (k) => k);
    },
  };
}

function permutationCheck(base: Problem, axis: 'rows' | 'classes'): ConformanceCheck {
  return {
    name: `property/permutation/${axis} [${base.label}]`,
    run: async (backend) => {
      const [B, C] = base.shape;
      const order = randomPermutation(axis === 'rows' ? B : C, 7 + B * C);
      // Element k of the permuted problem is element source(k) of the base problem.
      const source = (k: number) => {
        const i = Math.floor(k / C);
        const j = k % C;
        return axis === 'rows' ? order[i] * C + j : i * C + order[j];
      };
      const permute = (values: Float64Array) => Float64Array.from(values, (_, k) => values[source(k)]);
      const permuted = withLogits(base, `${base.label}, ${axis} permuted`, permute(base.student), permute(base.teacher));
      const expected = await solve(backend, base);
      const actual = await solve(backend, permuted);
      expectSameResult(actual, expected, base, permuted, backend.precision, source);
    },
  };
}

/** `actual` (of problem b) equals `expected` (of problem a), gradient element k matching source(k). */
function expectSameResult(
  actual: CheckedResult,
  expected: CheckedResult,
  a: Problem,
  b: Problem,
  precision: 'float32' | 'float64',
  source: (k: number) => number,
): void {
  const tolerance = sumOf(toleranceOf(a, precision), toleranceOf(b, precision));
  expectClose('loss', actual.loss, expected.loss, tolerance.loss);
  expectClose('inter', actual.inter, expected.inter, termTolerance(tolerance.loss, a.options, 'inter'));
  expectClose('intra', actual.intra, expected.intra, termTolerance(tolerance.loss, a.options, 'intra'));
  const reordered = Float64Array.from(actual.gradient, (_, k) => expected.gradient[source(k)]);
  expectArrayClose('gradient', actual.gradient, reordered, tolerance.gradient, a.shape[1]);
}

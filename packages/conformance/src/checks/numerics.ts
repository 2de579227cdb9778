/**
 * Numerical properties checked against the backend itself or against the float64 reference,
 * within the tolerance model: bounds, identical inputs, the gradient against finite differences of
 * the backend's own loss, determinism, input array types, and the official eps placement's limits.
 */
import { resolveOptions, type DistBackend } from '@dist-kd/core';
import { computeChecked, typedFor } from '../backend-calls.js';
import { fail, type ConformanceCheck } from '../check.js';
import { expectArrayClose, expectClose, expectWithin, format } from '../compare.js';
import { mulberry32 } from '../random-logits.js';
import {
  BASE_PROBLEMS,
  makeProblem,
  referenceOf,
  solve,
  sumOf,
  toleranceOf,
  withLogits,
  type Problem,
} from '../problems.js';
import { termTolerance } from '../tolerance.js';

export function numericsChecks(): ConformanceCheck[] {
  return [
    ...BASE_PROBLEMS.map(boundsCheck),
    ...BASE_PROBLEMS.map(identicalInputsCheck),
    ...BASE_PROBLEMS.map(finiteDifferenceCheck),
    ...BASE_PROBLEMS.map(compositionCheck),
    determinismCheck(),
    inputTypesCheck(),
    gradientOptionalCheck(),
    inputsUnchangedCheck(),
    epsZeroCheck(),
    ...officialLimitChecks(),
    singleClassCheck(),
  ];
}

function identical(base: Problem): Problem {
  return withLogits(base, `${base.label}, teacher = student`, base.student, base.student);
}

/** 0 <= inter, intra <= 2, since |corr| <= 1; on random, identical and opposite logits. */
function boundsCheck(base: Problem): ConformanceCheck {
  const variants = [
    base,
    identical(base),
    withLogits(base, `${base.label}, teacher = -student`, base.student, base.student.map((v) => -v)),
  ];
  return {
    name: `property/bounds [${base.label}]`,
    run: async (backend) => {
      for (const problem of variants) {
        const result = await solve(backend, problem);
        const { loss } = toleranceOf(problem, backend.precision);
        for (const term of ['inter', 'intra'] as const) {
          const slack = termTolerance(loss, problem.options, term);
          expectWithin(`${term} (${problem.label})`, result[term], -slack, 2 + slack);
        }
      }
    },
  };
}

/** Identical student and teacher: the loss is near zero (eps keeps corr just below 1). */
function identicalInputsCheck(base: Problem): ConformanceCheck {
  const problem = identical(base);
  return {
    name: `property/identical-inputs [${base.label}]`,
    run: async (backend) => {
      const result = await solve(backend, problem);
      const { loss } = toleranceOf(problem, backend.precision);
      expectWithin('loss with teacher = student', result.loss, -loss, referenceOf(problem).loss + loss);
    },
  };
}

/** Step of the finite differences: a power of two, so logits on the grid stay exact in float32. */
const STEP = 2 ** -6;

/**
 * gradient . v against a fourth-order central difference of the backend's own loss along random
 * sign directions v. The margin adds the difference's rounding (1.5 * loss tolerance / STEP), twice
 * its truncation error as measured on the float64 reference, and the gradient's own tolerance.
 */
function finiteDifferenceCheck(base: Problem): ConformanceCheck {
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
          (
            await computeChecked(backend, {
              student: typedFor(backend.precision, along(t)),
              teacher: typedFor(backend.precision, base.teacher),
              shape: base.shape,
              options: base.options,
            })
          ).loss;
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

/** loss = beta * tau^2 * inter + gamma * tau^2 * intra, with the terms the backend reports. */
function compositionCheck(base: Problem): ConformanceCheck {
  const problem = { ...base, label: `${base.label}, beta=0.5 gamma=3`, options: resolveOptions({ ...base.options, beta: 0.5, gamma: 3 }) };
  return {
    name: `property/loss-composition [${base.label}]`,
    run: async (backend) => {
      const result = await solve(backend, problem);
      const { beta, gamma, tau } = problem.options;
      const composed = tau * tau * (beta * result.inter + gamma * result.intra);
      expectClose('loss vs beta*tau^2*inter + gamma*tau^2*intra', result.loss, composed, toleranceOf(problem, backend.precision).loss);
    },
  };
}

/** The same input twice gives the same bits: no racing reductions, no state kept between calls. */
function determinismCheck(): ConformanceCheck {
  const problem = makeProblem('16x300', [16, 300], 21);
  return {
    name: 'property/determinism [16x300]',
    run: async (backend) => {
      const first = await solve(backend, problem);
      const second = await solve(backend, problem);
      for (const key of ['loss', 'inter', 'intra'] as const) {
        if (!Object.is(first[key], second[key])) fail(`${key} differs between two identical calls: ${first[key]} then ${second[key]}`);
      }
      const k = first.gradient.findIndex((v, index) => !Object.is(v, second.gradient[index]));
      if (k >= 0) fail(`gradient[${k}] differs between two identical calls: ${first.gradient[k]} then ${second.gradient[k]}`);
    },
  };
}

/** Float32Array, Float64Array and nested rows holding the same values give the same result. */
function inputTypesCheck(): ConformanceCheck {
  const problem = BASE_PROBLEMS[0];
  const [B, C] = problem.shape;
  const rows = (values: Float64Array) => Array.from({ length: B }, (_, i) => Array.from(values.subarray(i * C, (i + 1) * C)));
  return {
    name: `property/input-types [${problem.label}]`,
    run: async (backend) => {
      const compute = (student: Float32Array | Float64Array | number[][], teacher: typeof student, shape?: [number, number]) =>
        computeChecked(backend, { student, teacher, shape, options: problem.options, gradient: true });
      const float32 = await compute(Float32Array.from(problem.student), Float32Array.from(problem.teacher), [B, C]);
      const float64 = await compute(Float64Array.from(problem.student), Float64Array.from(problem.teacher), [B, C]);
      const nested = await compute(rows(problem.student), rows(problem.teacher));
      const own = toleranceOf(problem, backend.precision);
      // A Float32Array result is rounded to float32 whatever the backend computes in.
      const withFloat32 = sumOf(own, toleranceOf(problem, 'float32'));
      const pairs = [
        ['Float64Array', float64, 'Float32Array', float32, withFloat32],
        ['nested arrays', nested, 'Float64Array', float64, sumOf(own, own)],
      ] as const;
      for (const [name, actual, otherName, expected, tolerance] of pairs) {
        expectClose(`loss from ${name} vs ${otherName}`, actual.loss, expected.loss, tolerance.loss);
        expectArrayClose(`gradient from ${name} vs ${otherName}`, actual.gradient!, expected.gradient!, tolerance.gradient, C);
      }
    },
  };
}

/** Without `gradient: true` the loss is the same (a backend may skip the backward pass). */
function gradientOptionalCheck(): ConformanceCheck {
  const problem = BASE_PROBLEMS[1];
  return {
    name: `property/gradient-optional [${problem.label}]`,
    run: async (backend) => {
      const withGradient = await solve(backend, problem);
      const lossOnly = await computeChecked(backend, {
        student: typedFor(backend.precision, problem.student),
        teacher: typedFor(backend.precision, problem.teacher),
        shape: problem.shape,
        options: problem.options,
      });
      expectClose('loss without the gradient', lossOnly.loss, withGradient.loss, 2 * toleranceOf(problem, backend.precision).loss);
    },
  };
}

/** compute must not write into the caller's logits (an in-place softmax, say). */
function inputsUnchangedCheck(): ConformanceCheck {
  const problem = BASE_PROBLEMS[0];
  const [B, C] = problem.shape;
  return {
    name: 'property/inputs-unchanged',
    run: async (backend) => {
      const inputs = {
        Float32Array: [Float32Array.from(problem.student), Float32Array.from(problem.teacher)],
        Float64Array: [Float64Array.from(problem.student), Float64Array.from(problem.teacher)],
      };
      for (const [type, [student, teacher]] of Object.entries(inputs)) {
        await computeChecked(backend, { student, teacher, shape: [B, C], options: problem.options, gradient: true });
        const changed = [student, teacher].findIndex((values, side) => values.some((v, k) => v !== Math.fround((side ? problem.teacher : problem.student)[k])));
        if (changed >= 0) fail(`compute changed the ${changed ? 'teacher' : 'student'} ${type} it was given`);
      }
      const rows = Array.from({ length: B }, (_, i) => Array.from(problem.student.subarray(i * C, (i + 1) * C)));
      const before = JSON.stringify(rows);
      await computeChecked(backend, { student: rows, teacher: rows, options: problem.options, gradient: true });
      if (JSON.stringify(rows) !== before) fail('compute changed the nested student rows it was given');
    },
  };
}

/** eps = 0 is allowed while no vector has zero variance. */
function epsZeroCheck(): ConformanceCheck {
  const base = BASE_PROBLEMS[0];
  const problem = { ...base, label: `${base.label}, eps=0`, options: resolveOptions({ ...base.options, eps: 0 }) };
  return {
    name: `property/eps-zero [${base.label}]`,
    run: async (backend) => {
      await expectReference(backend, problem);
    },
  };
}

/**
 * Official eps placement with zero-variance vectors: PyTorch's autograd gives NaN there (sqrt'(0));
 * the library defines the term r * (b/a) * xc / D as its limit 0, so the gradient is finite and
 * equals the reference's.
 */
function officialLimitChecks(): ConformanceCheck[] {
  const options = { epsMode: 'official', beta: 1, gamma: 1, tau: 1 } as const;
  const singleRow = makeProblem('1x8 official', [1, 8], 31, options);
  const base = makeProblem('4x6 official', [4, 6], 32, options);
  const constantRow = Float64Array.from(base.student, (v, k) => (k < base.shape[1] ? 1.5 : v));
  const withConstantRow = withLogits(base, '4x6 official, constant student row', constantRow);
  return [
    {
      name: 'property/official-single-row [1x8 official]',
      run: async (backend) => {
        const result = await expectReference(backend, singleRow);
        const slack = termTolerance(toleranceOf(singleRow, backend.precision).loss, singleRow.options, 'intra');
        expectClose('intra with B = 1 (every column has one element)', result.intra, 1, slack);
      },
    },
    {
      name: 'property/official-constant-row [4x6 official]',
      run: async (backend) => {
        await expectReference(backend, withConstantRow);
      },
    },
  ];
}

/** C = 1: p = q = 1, every correlation is 0, so loss = (beta + gamma) * tau^2 and the gradient is 0. */
function singleClassCheck(): ConformanceCheck {
  const problem = makeProblem('6x1', [6, 1], 41, { beta: 1.5, gamma: 0.5, tau: 3 });
  return {
    name: 'property/single-class [6x1]',
    run: async (backend) => {
      const result = await solve(backend, problem);
      const tolerance = toleranceOf(problem, backend.precision);
      expectClose('loss with C = 1', result.loss, (1.5 + 0.5) * 9, tolerance.loss);
      expectArrayClose('gradient with C = 1', result.gradient, new Float64Array(6), tolerance.gradient, 1);
    },
  };
}

async function expectReference(backend: DistBackend, problem: Problem) {
  const result = await solve(backend, problem);
  const expected = referenceOf(problem);
  const tolerance = toleranceOf(problem, backend.precision);
  expectClose(`loss (${problem.label})`, result.loss, expected.loss, tolerance.loss);
  expectArrayClose(`gradient (${problem.label})`, result.gradient, expected.gradient, tolerance.gradient, problem.shape[1]);
  return result;
}


/**
 * What callers rely on besides the numbers: the same bits for the same input, any of the three
 * input array types, an optional gradient, and inputs left untouched.
 */
import { computeChecked } from '../backend-calls.js';
import { fail, type ConformanceCheck } from '../check.js';
import { expectArrayClose, expectClose } from '../compare.js';
import { BASE_PROBLEMS, makeProblem, requestFor, solve, sumOf, toleranceOf } from '../problems.js';

export function contractChecks(): ConformanceCheck[] {
  return [determinismCheck(), inputTypesCheck(), gradientOptionalCheck(), inputsUnchangedCheck()];
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
      const lossOnly = await computeChecked(backend, requestFor(backend.precision, problem));
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

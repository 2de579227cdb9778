/**
 * Every bad input is rejected with a DistInputError of the right code (compared by code and name,
 * not instanceof: a backend may carry its own copy of core), never answered with NaN.
 */
import { tauRange, type DistBackend, type DistInputErrorCode } from '@dist-kd/core';
import { computeChecked, describeError, expectInputError } from '../backend-calls.js';
import { fail, type ConformanceCheck } from '../check.js';

interface BadInput {
  readonly code: DistInputErrorCode;
  readonly what: string;
  readonly request: unknown;
}

const rows = [
  [1, 2, 3],
  [3, 1, 2],
];
const flat = () => Float32Array.of(1, 2, 3, 3, 1, 2);
const good = { student: rows, teacher: rows };
const withStudent = (student: unknown) => ({ student, teacher: rows });
const withOptions = (options: unknown) => ({ ...good, options });

const BAD_INPUTS: readonly BadInput[] = [
  { code: 'SHAPE_MISMATCH', what: 'fewer-teacher-rows', request: { student: rows, teacher: [rows[0]] } },
  { code: 'SHAPE_MISMATCH', what: 'fewer-teacher-classes', request: { student: rows, teacher: [[1, 2], [3, 1]] } },
  { code: 'BAD_SHAPE', what: 'flat-without-shape', request: { student: flat(), teacher: flat() } },
  { code: 'BAD_SHAPE', what: 'length-not-B*C', request: { student: flat(), teacher: flat(), shape: [2, 4] } },
  { code: 'BAD_SHAPE', what: 'ragged-rows', request: withStudent([[1, 2, 3], [1, 2]]) },
  { code: 'BAD_SHAPE', what: 'shape-of-one-number', request: { ...good, shape: [2] } },
  { code: 'BAD_SHAPE', what: 'shape-negative', request: { student: flat(), teacher: flat(), shape: [-2, -3] } },
  { code: 'BAD_SHAPE', what: 'shape-fractional', request: { student: flat(), teacher: flat(), shape: [1.5, 4] } },
  { code: 'BAD_SHAPE', what: 'rows-disagree-with-shape', request: { ...good, shape: [3, 2] } },
  { code: 'EMPTY', what: 'no-rows', request: { student: [], teacher: [] } },
  { code: 'EMPTY', what: 'no-classes', request: { student: new Float32Array(0), teacher: new Float32Array(0), shape: [3, 0] } },
  { code: 'NON_FINITE', what: 'nan-student', request: withStudent([[1, NaN, 3], [3, 1, 2]]) },
  { code: 'NON_FINITE', what: 'infinite-teacher', request: { student: rows, teacher: [[1, 2, 3], [3, Infinity, 2]] } },
  { code: 'NON_FINITE', what: 'negative-infinity-typed', request: { student: Float64Array.of(1, 2, 3, 3, 1, -Infinity), teacher: flat(), shape: [2, 3] } },
  { code: 'NON_FINITE', what: 'overflows-after-dividing-by-tau', request: { ...withStudent([[1, 2, 3], [3, 1, 1e308]]), options: { tau: 1e-3 } } },
  { code: 'BAD_OPTION', what: 'tau-zero', request: withOptions({ tau: 0 }) },
  { code: 'BAD_OPTION', what: 'tau-negative', request: withOptions({ tau: -1 }) },
  { code: 'BAD_OPTION', what: 'tau-nan', request: withOptions({ tau: NaN }) },
  { code: 'BAD_OPTION', what: 'eps-negative', request: withOptions({ eps: -1e-8 }) },
  { code: 'BAD_OPTION', what: 'beta-infinite', request: withOptions({ beta: Infinity }) },
  { code: 'BAD_OPTION', what: 'gamma-a-string', request: withOptions({ gamma: '2' }) },
  { code: 'BAD_OPTION', what: 'unknown-option', request: withOptions({ temperature: 4 }) },
  { code: 'BAD_OPTION', what: 'unknown-eps-mode', request: withOptions({ epsMode: 'torch' }) },
  { code: 'BAD_OPTION', what: 'options-not-an-object', request: withOptions(5) },
  { code: 'DEGENERATE', what: 'eps-zero-constant-student-row', request: { ...withStudent([[2, 2, 2], [3, 1, 2]]), options: { eps: 0 } } },
  { code: 'DEGENERATE', what: 'eps-zero-identical-teacher-rows-official', request: { student: rows, teacher: [rows[0], rows[0]], options: { eps: 0, epsMode: 'official' } } },
  { code: 'DEGENERATE', what: 'eps-zero-single-row', request: { student: [[1, 2, 3]], teacher: [[3, 1, 2]], options: { eps: 0 } } },
  { code: 'BAD_INPUT_TYPE', what: 'request-null', request: null },
  { code: 'BAD_INPUT_TYPE', what: 'student-a-string', request: withStudent('1,2,3') },
  { code: 'BAD_INPUT_TYPE', what: 'student-int32array', request: { student: Int32Array.of(1, 2, 3, 3, 1, 2), teacher: flat(), shape: [2, 3] } },
  { code: 'BAD_INPUT_TYPE', what: 'student-null', request: withStudent(null) },
  { code: 'BAD_INPUT_TYPE', what: 'rows-are-numbers', request: withStudent([1, 2, 3]) },
  { code: 'BAD_INPUT_TYPE', what: 'teacher-an-object', request: { student: rows, teacher: { 0: [1, 2, 3] } } },
  // Number(null), Number('') and Number(true) are 0, 0 and 1: a row holding them is not logits.
  { code: 'BAD_INPUT_TYPE', what: 'row-holds-null', request: withStudent([[1, null, 3], [3, 1, 2]]) },
  { code: 'BAD_INPUT_TYPE', what: 'row-holds-empty-string', request: withStudent([[1, 2, 3], ['', 1, 2]]) },
  { code: 'BAD_INPUT_TYPE', what: 'row-holds-true', request: { student: rows, teacher: [[1, 2, true], [3, 1, 2]] } },
  { code: 'BAD_INPUT_TYPE', what: 'row-holds-numeric-string', request: withStudent([[1, '2', 3], [3, 1, 2]]) },
  // Outside every precision's range: tau^2 underflows, or the loss (at most 2 * (beta + gamma) * tau^2) overflows.
  { code: 'BAD_OPTION', what: 'tau-1e-160', request: withOptions({ tau: 1e-160 }) },
  { code: 'BAD_OPTION', what: 'tau-1e160', request: withOptions({ tau: 1e160 }) },
];

export function badInputChecks(): ConformanceCheck[] {
  return [
    ...BAD_INPUTS.map(({ code, what, request }) => ({
      name: `bad-input/${code}/${what}`,
      run: (backend: DistBackend) => expectInputError(backend, request, code),
    })),
    float32OverflowCheck(),
    float32TauRangeCheck(),
    tauRangeEndsCheck(),
  ];
}

/**
 * A property kept beside the range's bad-input checks: at both ends of the backend's supported tau
 * range (core's tauRange) the loss and the gradient are finite numbers, so the range is what the
 * arithmetic represents, not less. (Far from 1 the softmax is one-hot or uniform to the precision,
 * so the values themselves are not compared.)
 */
function tauRangeEndsCheck(): ConformanceCheck {
  return {
    name: 'property/tau-at-the-ends-of-its-range',
    run: async (backend) => {
      for (const weights of [{ beta: 1, gamma: 1 }, { beta: 2, gamma: 0.5 }]) {
        const { min, max } = tauRange(backend.precision, weights);
        for (const tau of [min, max]) {
          await computeChecked(backend, { ...good, options: { ...weights, tau }, gradient: true }).catch((error: unknown) => {
            if ((error as Error | null)?.name === 'CheckFailure') fail(`tau = ${tau} (${JSON.stringify(weights)}): ${(error as Error).message}`);
            fail(`tau = ${tau} (${JSON.stringify(weights)}) is inside the supported range but compute rejected: ${describeError(error)}`);
          });
        }
      }
    },
  };
}

/**
 * tau = 2e19 (tau^2 overflows float32) and 1e-30 (tau^2 underflows it) are beyond what a float32
 * kernel represents, so float32 backends refuse them; float64 backends compute them.
 */
function float32TauRangeCheck(): ConformanceCheck {
  const requests = [2e19, 1e-30].map((tau) => ({ ...good, options: { tau } }));
  return {
    name: 'bad-input/BAD_OPTION/tau-beyond-float32 (float64 backends accept it)',
    run: async (backend) => {
      for (const request of requests) {
        if (backend.precision === 'float32') await expectInputError(backend, request, 'BAD_OPTION');
        else await computeChecked(backend, { ...request, gradient: true });
      }
    },
  };
}

/** 1e39 overflows float32 but not float64: each backend judges it in its own arithmetic. */
function float32OverflowCheck(): ConformanceCheck {
  const request = { student: Float64Array.of(1, 2, 3, 3, 1, 1e39), teacher: Float64Array.of(1, 2, 3, 3, 1, 2), shape: [2, 3] as const };
  return {
    name: 'bad-input/NON_FINITE/overflows-float32 (float64 backends accept it)',
    run: async (backend) => {
      if (backend.precision === 'float32') return expectInputError(backend, request, 'NON_FINITE');
      await computeChecked(backend, { ...request, gradient: true });
    },
  };
}

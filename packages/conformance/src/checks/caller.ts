/**
 * What a caller may do around its calls, which every backend must answer with correct numbers:
 * calls that overlap (`Promise.all`), of mixed shapes, and arrays reused as soon as `compute` has
 * returned its promise (the contract: a backend reads the caller's arrays before `compute` returns).
 * The wide problems have more than 32768 elements, where a backend may hand the work to threads.
 */
import { awaitLater, computeChecked, describeError } from '../backend-calls.js';
import { fail, type ConformanceCheck } from '../check.js';
import { BASE_PROBLEMS, expectReferenceResult, makeProblem, requestFor, type Problem } from '../problems.js';

/** Inputs above the sizes where backends change their path (cpu's worker threads start at 32768). */
export const WIDE_PROBLEMS: readonly Problem[] = [
  makeProblem('64x1024', [64, 1024], 51),
  makeProblem('64x1024 tau=2', [64, 1024], 52, { tau: 2, beta: 1, gamma: 3 }),
  makeProblem('40x1000 official', [40, 1000], 53, { epsMode: 'official', tau: 4 }),
];

export function callerChecks(): ConformanceCheck[] {
  return [overlappingComputesCheck(), reusedArraysCheck(), reusedArraysWhileBusyCheck(), sharedMemoryCheck()];
}

/**
 * Logits in a SharedArrayBuffer (what a worker pool shares), to compute and to bind: the answer of
 * the same values in an ordinary array (webgpu's Dawn bindings used to crash the process on them).
 * Where SharedArrayBuffer does not exist (a page that is not cross-origin isolated) no caller can
 * pass one, and there is nothing to check.
 */
function sharedMemoryCheck(): ConformanceCheck {
  const problem = BASE_PROBLEMS[0];
  return {
    name: 'caller/shared-array-buffer-logits',
    run: async (backend) => {
      if (typeof SharedArrayBuffer === 'undefined') return;
      const request = requestFor(backend.precision, problem);
      // A first call starts the backend, so that the shared arrays take the path of a warm call
      // (a cold one may copy them while it starts).
      await computeChecked(backend, request);
      const shared = (values: Float32Array | Float64Array) => {
        const view = new (values.constructor as Float32ArrayConstructor)(new SharedArrayBuffer(values.byteLength));
        view.set(values);
        return view;
      };
      const sharedRequest = { ...request, student: shared(request.student as Float32Array), teacher: shared(request.teacher as Float32Array) };
      const result = await settledValue(computeChecked(backend, { ...sharedRequest, gradient: true }), problem);
      expectReferenceResult(`${problem.label} in SharedArrayBuffers`, result, problem, backend.precision);
      if (!backend.bind) return;
      const bound = await backend.bind(sharedRequest);
      try {
        const terms = await bound.compute(true);
        expectReferenceResult(`${problem.label} bound from SharedArrayBuffers`, { ...terms, gradient: await bound.readGradient() }, problem, backend.precision);
      } finally {
        await bound.dispose();
      }
    },
  };
}

/** Twelve calls in flight at once, wide and small, with and without the gradient: each its own answer. */
function overlappingComputesCheck(): ConformanceCheck {
  const problems = [WIDE_PROBLEMS[0], BASE_PROBLEMS[0], WIDE_PROBLEMS[1], BASE_PROBLEMS[1], WIDE_PROBLEMS[2], BASE_PROBLEMS[2]];
  return {
    name: 'caller/overlapping-computes [mixed shapes]',
    run: async (backend) => {
      const calls = [true, false].flatMap((gradient) =>
        problems.map((problem) => ({ problem, gradient, result: computeChecked(backend, { ...requestFor(backend.precision, problem), gradient }) })),
      );
      const settled = await Promise.allSettled(calls.map((call) => call.result));
      settled.forEach((outcome, k) => {
        const { problem, gradient } = calls[k];
        const what = `overlapping call ${k} (${problem.label}, gradient ${gradient})`;
        if (outcome.status === 'rejected') fail(`${what} rejected: ${describeError(outcome.reason)}`);
        expectReferenceResult(what, outcome.value, problem, backend.precision);
      });
    },
  };
}

/**
 * The caller refills its arrays (the next batch; here NaN) right after `compute` returned its
 * promise, before awaiting it: the result is that of the arrays as they were at the call.
 */
function reusedArraysCheck(): ConformanceCheck {
  return {
    name: 'caller/arrays-reused-after-the-call',
    run: async (backend) => {
      for (const problem of [BASE_PROBLEMS[0], WIDE_PROBLEMS[0]]) {
        const request = { ...requestFor(backend.precision, problem), gradient: true };
        const pending = computeChecked(backend, request);
        refill(request);
        expectReferenceResult(`${problem.label}, arrays refilled after the call`, await settledValue(pending, problem), problem, backend.precision);
      }
    },
  };
}

/** The same while another call keeps the backend busy, so that this one waits its turn. */
function reusedArraysWhileBusyCheck(): ConformanceCheck {
  const busy = WIDE_PROBLEMS[1];
  const problem = BASE_PROBLEMS[1];
  return {
    name: 'caller/arrays-reused-while-the-backend-is-busy',
    run: async (backend) => {
      const first = awaitLater(computeChecked(backend, { ...requestFor(backend.precision, busy), gradient: true }));
      const request = { ...requestFor(backend.precision, problem), gradient: true };
      const second = awaitLater(computeChecked(backend, request));
      refill(request);
      expectReferenceResult(`${busy.label}, the call in flight`, await settledValue(first, busy), busy, backend.precision);
      expectReferenceResult(`${problem.label}, arrays refilled while queued`, await settledValue(second, problem), problem, backend.precision);
    },
  };
}

/** What a caller's next batch does to the arrays of the last one. */
function refill(request: ReturnType<typeof requestFor>): void {
  (request.student as Float32Array | Float64Array).fill(Number.NaN);
  (request.teacher as Float32Array | Float64Array).fill(0);
}

async function settledValue<T>(pending: Promise<T>, problem: Problem): Promise<T> {
  try {
    return await pending;
  } catch (error) {
    if ((error as Error | null)?.name === 'CheckFailure') throw error;
    fail(`${problem.label}: the call rejected (${describeError(error)}); it must compute on the arrays as they were when it was made`);
  }
}

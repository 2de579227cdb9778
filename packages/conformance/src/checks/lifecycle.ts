/**
 * One lifecycle on every backend: `dispose()` lets the calls in flight settle (each resolves with
 * its correct result or rejects with BACKEND_DISPOSED, never hangs), and afterwards every call
 * rejects with a DistUsageError BACKEND_DISPOSED, also on the bindings it made; dispose is
 * idempotent. These checks dispose backends, so each makes its own (`context.freshBackend`).
 */
import type { DistBackend, DistResult, DistTerms } from '@dist-kd/core';
import { awaitLater, describeError, expectUsageError, isUsageError, settleWithin } from '../backend-calls.js';
import { fail, type ConformanceCheck } from '../check.js';
import { BASE_PROBLEMS, expectReferenceResult, requestFor, type Problem } from '../problems.js';
import { WIDE_PROBLEMS } from './caller.js';

/** How long a call in flight may take to settle once its backend is disposed. */
export const SETTLE_LIMIT_MS = 20_000;

export function lifecycleChecks(): ConformanceCheck[] {
  return [afterDisposeCheck(), disposeDuringComputeCheck()];
}

/** After dispose: compute, bind and the calls of an earlier binding reject with BACKEND_DISPOSED. */
function afterDisposeCheck(): ConformanceCheck {
  const problem = BASE_PROBLEMS[0];
  return {
    name: 'lifecycle/after-dispose',
    run: async (_, context) => {
      const backend = await context.freshBackend();
      const request = { ...requestFor(backend.precision, problem), gradient: true };
      const bound = backend.bind ? await backend.bind(requestFor(backend.precision, problem)) : undefined;
      await bound?.compute(true);
      await settleWithin('dispose()', backend.dispose(), SETTLE_LIMIT_MS);
      await expectUsageError('compute after dispose()', () => backend.compute(request), 'BACKEND_DISPOSED');
      if (backend.bind) {
        const bind = backend.bind.bind(backend);
        await expectUsageError('bind after dispose()', () => bind(requestFor(backend.precision, problem)), 'BACKEND_DISPOSED');
      }
      if (bound) {
        await expectUsageError("a binding's compute after its backend's dispose()", () => bound.compute(true), 'BACKEND_DISPOSED');
        await expectUsageError("a binding's readGradient after its backend's dispose()", () => bound.readGradient(), 'BACKEND_DISPOSED');
        await settleWithin("a binding's dispose() after its backend's", bound.dispose(), SETTLE_LIMIT_MS);
      }
      await settleWithin('a second dispose()', backend.dispose(), SETTLE_LIMIT_MS);
    },
  };
}

/**
 * dispose() right after calls were made (a wide one, which a backend may run on threads, and a
 * bound one): each call settles within SETTLE_LIMIT_MS, correct or rejected with BACKEND_DISPOSED.
 */
function disposeDuringComputeCheck(): ConformanceCheck {
  const wide = WIDE_PROBLEMS[0];
  const small = BASE_PROBLEMS[1];
  return {
    name: 'lifecycle/dispose-during-compute',
    run: async (_, context) => {
      const backend = await context.freshBackend();
      const bound = backend.bind ? await backend.bind(requestFor(backend.precision, small)) : undefined;
      const calls: { what: string; problem: Problem; result: Promise<DistResult | DistTerms> }[] = [
        { what: `compute (${wide.label})`, problem: wide, result: backend.compute({ ...requestFor(backend.precision, wide), gradient: true }) },
        { what: `compute (${small.label})`, problem: small, result: backend.compute({ ...requestFor(backend.precision, small), gradient: true }) },
      ];
      if (bound) calls.push({ what: `bound compute (${small.label})`, problem: small, result: bound.compute(true) });
      for (const call of calls) awaitLater(call.result);
      const disposing = awaitLater(settleWithin('dispose() with calls in flight', backend.dispose(), SETTLE_LIMIT_MS));
      for (const call of calls) await expectCorrectOrDisposed(`${call.what}, in flight at dispose()`, call.result, call.problem, backend);
      await disposing;
    },
  };
}

/**
 * A call that must settle within SETTLE_LIMIT_MS with its correct result, or, when `disposed()` says
 * its backend was disposed by then, may reject with BACKEND_DISPOSED (BINDING_DISPOSED for a bound
 * call: disposing a backend disposes its bindings).
 */
export async function expectCorrectOrDisposed(
  what: string,
  result: Promise<DistResult | DistTerms>,
  problem: Problem,
  backend: DistBackend,
  disposed: () => boolean = () => true,
): Promise<void> {
  let value: DistResult | DistTerms;
  try {
    value = await settleWithin(what, result, SETTLE_LIMIT_MS);
  } catch (error) {
    if ((error as Error | null)?.name === 'CheckFailure') throw error;
    if (disposed() && isUsageError(error, ['BACKEND_DISPOSED', 'BINDING_DISPOSED'])) return;
    fail(`${what} rejected with ${describeError(error)}; expected its result${disposed() ? ' or a DistUsageError BACKEND_DISPOSED' : ''}`);
  }
  expectReferenceResult(what, value, problem, backend.precision);
}


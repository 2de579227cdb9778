/**
 * A randomised property (fast-check, fixed seed, a time budget): sequences of compute, bind, bound
 * compute, readGradient and dispose, each call awaited or left in flight while the next ones start,
 * and every outcome checked against the float64 reference and the lifecycle rules:
 * - compute gives the reference's answer for its own logits, whatever else is in flight;
 * - the calls on one binding take effect in the order they were made (readGradient reads the
 *   gradient of the latest compute made before it, GRADIENT_NOT_READY when that was compute(false));
 * - after dispose of a binding its calls reject with BINDING_DISPOSED; after dispose of the backend
 *   every call rejects with BACKEND_DISPOSED, and calls in flight settle, correct or BACKEND_DISPOSED.
 */
import fc from 'fast-check';
import type { BoundDist, DistBackend, DistResult, DistTerms } from '@dist-kd/core';
import { awaitLater, describeError, expectUsageError, settleWithin, type UsageErrorCode } from '../backend-calls.js';
import { fail, type ConformanceCheck } from '../check.js';
import { BASE_PROBLEMS, makeProblem, referenceOf, requestFor, type Problem } from '../problems.js';
import { expectCorrectOrDisposed, SETTLE_LIMIT_MS } from './lifecycle.js';

/** The seed CI runs with; a failure message names the sequence that failed. */
export const INTERLEAVING_SEED = 20261202;
const RUNS = 12;
/** After this, no new sequence starts (the property passes with the runs done so far). */
const TIME_BUDGET_MS = 15_000;

/** Small problems and two over 32768 elements (where cpu's worker threads take over), of two shapes. */
const PROBLEMS: readonly Problem[] = [
  BASE_PROBLEMS[0],
  BASE_PROBLEMS[2],
  makeProblem('9x33 tau=3', [9, 33], 71, { tau: 3 }),
  makeProblem('40x1000', [40, 1000], 72, { beta: 1, gamma: 2 }),
  makeProblem('64x600 tau=2', [64, 600], 73, { tau: 2 }),
];

type Step =
  | { readonly op: 'compute'; readonly problem: number; readonly gradient: boolean; readonly awaited: boolean }
  | { readonly op: 'bind'; readonly problem: number }
  | { readonly op: 'bound-compute'; readonly binding: number; readonly gradient: boolean; readonly awaited: boolean }
  | { readonly op: 'read-gradient'; readonly binding: number; readonly awaited: boolean }
  | { readonly op: 'dispose-binding'; readonly binding: number; readonly awaited: boolean }
  | { readonly op: 'dispose-backend'; readonly awaited: boolean };

function steps(withBind: boolean): fc.Arbitrary<Step[]> {
  const problem = fc.nat({ max: PROBLEMS.length - 1 });
  const binding = fc.nat({ max: 3 });
  const awaited = fc.boolean();
  const gradient = fc.boolean();
  const always = [
    { weight: 5, arbitrary: fc.record({ op: fc.constant('compute' as const), problem, gradient, awaited }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('dispose-backend' as const), awaited }) },
  ];
  const bound = [
    { weight: 2, arbitrary: fc.record({ op: fc.constant('bind' as const), problem }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('bound-compute' as const), binding, gradient, awaited }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('read-gradient' as const), binding, awaited }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('dispose-binding' as const), binding, awaited }) },
  ];
  return fc.array(fc.oneof(...always, ...(withBind ? bound : [])), { minLength: 1, maxLength: 14 });
}

export function interleavingChecks(withBind: boolean): ConformanceCheck[] {
  return [
    {
      name: `property/interleaved-calls [seed ${INTERLEAVING_SEED}]`,
      run: async (backend, context) => {
        const property = fc.asyncProperty(steps(withBind), async (sequence) => {
          // A sequence that disposes the backend gets one of its own; the others share the one under test.
          const disposes = sequence.some((step) => step.op === 'dispose-backend');
          await play(disposes ? await context.freshBackend() : backend, sequence);
        });
        const details = await fc.check(property, {
          seed: INTERLEAVING_SEED,
          numRuns: RUNS,
          interruptAfterTimeLimit: TIME_BUDGET_MS,
          markInterruptAsFailure: false,
        });
        if (details.failed) {
          const error = details.errorInstance as Error | undefined;
          fail(`after ${details.numRuns} sequences, ${JSON.stringify(details.counterexample?.[0])}: ${error?.message ?? String(details.errorInstance)}`);
        }
      },
    },
  ];
}

interface Binding {
  readonly bound: BoundDist;
  readonly problem: Problem;
  disposed: boolean;
  /** Whether the latest compute made on it asked for the gradient. */
  gradientReady: boolean;
}

/** Makes the calls in order, checks each outcome, and waits for those left in flight. */
async function play(backend: DistBackend, sequence: readonly Step[]): Promise<void> {
  const bindings: Binding[] = [];
  const state = { backendDisposed: false };
  const inFlight: Promise<void>[] = [];
  const problemOf = (index: number) => PROBLEMS[index];
  for (const [index, step] of sequence.entries()) {
    const what = `step ${index} ${JSON.stringify(step)}`;
    let outcome: Promise<void>;
    if (step.op === 'compute') {
      const problem = problemOf(step.problem);
      const request = { ...requestFor(backend.precision, problem), gradient: step.gradient };
      outcome = state.backendDisposed
        ? expectUsageError(what, () => backend.compute(request), 'BACKEND_DISPOSED')
        : expectOutcome(what, backend.compute(request), problem, backend, state);
    } else if (step.op === 'bind') {
      const problem = problemOf(step.problem);
      const bind = backend.bind!.bind(backend);
      if (state.backendDisposed) {
        outcome = expectUsageError(what, () => bind(requestFor(backend.precision, problem)), 'BACKEND_DISPOSED');
      } else {
        // A binding is awaited: the steps after it call it.
        const bound = await settleWithin(what, bind(requestFor(backend.precision, problem)), SETTLE_LIMIT_MS).catch((error: unknown) => {
          fail(`${what} rejected: ${describeError(error)}`);
        });
        bindings.push({ bound, problem, disposed: false, gradientReady: false });
        outcome = Promise.resolve();
      }
    } else if (step.op === 'dispose-backend') {
      state.backendDisposed = true;
      for (const binding of bindings) binding.disposed = true;
      outcome = settleWithin(what, backend.dispose(), SETTLE_LIMIT_MS);
    } else {
      const binding = bindings.length > 0 ? bindings[step.binding % bindings.length] : undefined;
      if (!binding) continue;
      outcome = boundStep(what, step, binding, backend, state);
    }
    if ('awaited' in step && !step.awaited) inFlight.push(awaitLater(outcome));
    else await outcome;
  }
  await Promise.all(inFlight);
  if (!state.backendDisposed) await Promise.all(bindings.map((binding) => binding.bound.dispose()));
}

/** What a call on a binding must do, decided by the calls made on it before (in call order). */
function boundStep(
  what: string,
  step: Extract<Step, { binding: number }>,
  binding: Binding,
  backend: DistBackend,
  state: { readonly backendDisposed: boolean },
): Promise<void> {
  if (step.op === 'dispose-binding') {
    binding.disposed = true;
    return settleWithin(what, binding.bound.dispose(), SETTLE_LIMIT_MS);
  }
  if (binding.disposed) {
    const codes: UsageErrorCode[] = state.backendDisposed ? ['BACKEND_DISPOSED', 'BINDING_DISPOSED'] : ['BINDING_DISPOSED'];
    const call = step.op === 'bound-compute' ? () => binding.bound.compute(step.gradient) : () => binding.bound.readGradient();
    return expectUsageError(what, call, ...codes);
  }
  if (step.op === 'bound-compute') {
    binding.gradientReady = step.gradient;
    return expectOutcome(what, binding.bound.compute(step.gradient), binding.problem, backend, state);
  }
  if (!binding.gradientReady) return expectUsageError(what, () => binding.bound.readGradient(), 'GRADIENT_NOT_READY');
  const problem = binding.problem;
  return expectOutcome(what, binding.bound.readGradient().then(reassemble(problem)), problem, backend, state);
}

/** A gradient read back, as a result whose terms are the reference's, so that only the gradient is compared. */
function reassemble(problem: Problem): (gradient: Float32Array | Float64Array) => DistResult {
  const { loss, inter, intra } = referenceOf(problem);
  return (gradient) => ({ loss, inter, intra, gradient });
}

/** A call that should succeed: correct, or, once the backend was disposed, rejected with BACKEND_DISPOSED. */
function expectOutcome(
  what: string,
  result: Promise<DistResult | DistTerms>,
  problem: Problem,
  backend: DistBackend,
  state: { readonly backendDisposed: boolean },
): Promise<void> {
  return expectCorrectOrDisposed(what, result, problem, backend, () => state.backendDisposed);
}

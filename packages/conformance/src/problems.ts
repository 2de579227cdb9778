/** Inputs for the property checks, with their tolerances and the float64 reference's values. */
import {
  referenceDist,
  resolveOptions,
  type DistBackend,
  type DistOptions,
  type DistRequest,
  type DistResult,
  type DenseShape,
  type Layout,
  type Precision,
  type Shape,
} from '@dist-kd/core';
import { computeWithGradient, typedFor, type CheckedResult } from './backend-calls.js';
import { randomLogits } from './random-logits.js';
import { expectArrayClose, expectClose } from './compare.js';
import { forPrecision, modelTolerance, termTolerance, type Tolerance } from './tolerance.js';

export interface Problem {
  readonly label: string;
  /** Row-major [B, C] (or dense, in `layout`), exact float32 values. */
  readonly student: Float64Array;
  readonly teacher: Float64Array;
  readonly shape: Shape | DenseShape;
  readonly options: DistOptions;
  readonly mask?: readonly number[];
  readonly layout?: Layout;
}

export function makeProblem(
  label: string,
  shape: Shape,
  seed: number,
  options: Partial<DistOptions> = {},
  scale = 3,
): Problem {
  const [B, C] = shape;
  return {
    label,
    student: randomLogits(B, C, seed, scale),
    teacher: randomLogits(B, C, seed + 1000, scale),
    shape,
    options: resolveOptions(options),
  };
}

export function withLogits(problem: Problem, label: string, student: Float64Array, teacher = problem.teacher): Problem {
  return { ...problem, label, student, teacher };
}

/** The request for a problem, in the typed array of the backend's precision. */
export function requestFor(precision: Precision, problem: Problem): DistRequest {
  return {
    student: typedFor(precision, problem.student),
    teacher: typedFor(precision, problem.teacher),
    shape: problem.shape,
    options: problem.options,
    ...(problem.mask ? { mask: problem.mask } : {}),
    ...(problem.layout ? { layout: problem.layout } : {}),
  };
}

/** Computes a problem on the backend, with the gradient. */
export function solve(backend: DistBackend, problem: Problem): Promise<CheckedResult> {
  return computeWithGradient(backend, requestFor(backend.precision, problem));
}

const references = new WeakMap<Problem, Required<DistResult>>();

/** The float64 reference's result for a problem, computed once (callers must not write into it). */
export function referenceOf(problem: Problem): Required<DistResult> {
  let result = references.get(problem);
  if (!result) {
    result = referenceDist({ ...problem, gradient: true }) as Required<DistResult>;
    references.set(problem, result);
  }
  return result;
}

const float32Tolerances = new WeakMap<Problem, Tolerance>();

export function toleranceOf(problem: Problem, precision: Precision): Tolerance {
  let float32 = float32Tolerances.get(problem);
  if (!float32) {
    float32 = modelTolerance(problem);
    float32Tolerances.set(problem, float32);
  }
  return forPrecision(float32, precision, problem);
}

/** The tolerance for comparing two computed results: each may be off by its own. */
export function sumOf(a: Tolerance, b: Tolerance): Tolerance {
  return { loss: a.loss + b.loss, gradient: a.gradient + b.gradient };
}

/** Base problems the invariance and numerics checks transform. */
export const BASE_PROBLEMS: readonly Problem[] = [
  makeProblem('5x7 tau=2', [5, 7], 11, { beta: 1, gamma: 1, tau: 2 }),
  makeProblem('3x40 design-note defaults', [3, 40], 12),
  makeProblem('4x6 official tau=1', [4, 6], 13, { epsMode: 'official', beta: 1, gamma: 1, tau: 1 }),
];

/**
 * A result of `problem` against the float64 reference, within the backend's tolerance: the loss,
 * the two terms, and the gradient when the result has one. `what` names the call in messages.
 */
export function expectReferenceResult(what: string, result: DistResult, problem: Problem, precision: Precision): void {
  const expected = referenceOf(problem);
  const tolerance = toleranceOf(problem, precision);
  expectClose(`${what}: loss`, result.loss, expected.loss, tolerance.loss);
  for (const term of ['inter', 'intra'] as const) {
    expectClose(`${what}: ${term}`, result[term], expected[term], termTolerance(tolerance.loss, problem.options, term));
  }
  if (result.gradient) expectArrayClose(`${what}: gradient`, result.gradient, expected.gradient, tolerance.gradient, problem.shape[1]);
}

/**
 * Calling a backend under test: every result is checked for the contract's shape (finite numbers,
 * a gradient of the right type and length) and every bad input for a typed rejection.
 */
import type { DistBackend, DistRequest, DistResult, Precision } from '@dist-kd/core';
import { CheckFailure, fail } from './check.js';

export interface CheckedResult extends DistResult {
  readonly gradient: Float32Array | Float64Array;
}

/** Computes with the gradient and checks the result's contract. */
export async function computeWithGradient(backend: DistBackend, request: DistRequest): Promise<CheckedResult> {
  const result = await computeChecked(backend, { ...request, gradient: true });
  return result as CheckedResult;
}

export async function computeChecked(backend: DistBackend, request: DistRequest): Promise<DistResult> {
  const result = await backend.compute(request);
  if (result === null || typeof result !== 'object') fail(`compute resolved to ${String(result)}, not a result object`);
  for (const key of ['loss', 'inter', 'intra'] as const) {
    if (typeof result[key] !== 'number' || !Number.isFinite(result[key])) {
      fail(`result.${key} is ${String(result[key])}, expected a finite number`);
    }
  }
  if (request.gradient) expectGradientContract(result.gradient, request);
  return result;
}

/** A gradient of the student's array type (Float32Array for a Float32Array student), B*C long, finite. */
export function expectGradientContract(gradient: unknown, request: Pick<DistRequest, 'student' | 'shape'>): void {
  const expectedType = typeName(request.student) === 'Float32Array' ? 'Float32Array' : 'Float64Array';
  const actualType = typeName(gradient);
  if (actualType !== expectedType) {
    fail(`result.gradient is ${gradient === undefined ? 'missing' : `a ${actualType}`}, expected a ${expectedType} (it follows the student's array type)`);
  }
  const values = gradient as Float32Array | Float64Array;
  const length = request.shape ? (request.shape as readonly number[]).reduce((n, d) => n * d, 1) : countNested(request.student);
  if (values.length !== length) fail(`result.gradient has ${values.length} elements, expected ${length} (one per logit)`);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) fail(`result.gradient[${bad}] is ${values[bad]}; the gradient must be finite`);
}

/** The array's class name, also for arrays from another realm (a worker, a second copy of core). */
function typeName(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

function countNested(logits: DistRequest['student']): number {
  return Array.isArray(logits) ? logits.reduce((n: number, row: ArrayLike<number>) => n + row.length, 0) : logits.length;
}

/** Passes when compute rejects with a DistInputError of the given code (compared by code, not class). */
export async function expectInputError(backend: DistBackend, request: unknown, code: string): Promise<void> {
  await expectInputErrorFrom('compute', () => backend.compute(request as DistRequest), code);
}

/** Passes when `call` (named `what`) returns a promise rejected with a DistInputError of the given code. */
export async function expectInputErrorFrom(what: string, call: () => Promise<unknown>, code: string): Promise<void> {
  let pending: Promise<unknown>;
  try {
    pending = call();
  } catch (error) {
    fail(`${what} threw synchronously (${describeError(error)}); it must return a rejected promise`);
  }
  try {
    await pending;
  } catch (error) {
    const { name, code: actual, message } = (error ?? {}) as { name?: string; code?: string; message?: string };
    if (name !== 'DistInputError' || actual !== code) {
      fail(`${what} rejected with ${describeError(error)}, expected a DistInputError with code ${code}`);
    }
    if (!message) fail(`the DistInputError ${code} has an empty message; say what was wrong`);
    return;
  }
  fail(`${what} accepted the input; expected a DistInputError with code ${code}`);
}

export function describeError(error: unknown): string {
  const { name, code, message } = (error ?? {}) as { name?: string; code?: string; message?: string };
  return `${name ?? typeof error}${code ? ` ${code}` : ''}: ${message ?? String(error)}`;
}

/** The typed array a backend of this precision is fed: float32 backends get what they compute in. */
export function typedFor(precision: Precision, values: ArrayLike<number>): Float32Array | Float64Array {
  return precision === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
}

/**
 * The codes of `DistUsageError`, core's error for calls the lifecycle does not allow: on a disposed
 * backend, on a disposed binding, and `readGradient` with no gradient of the latest bound call.
 */
export type UsageErrorCode = 'BACKEND_DISPOSED' | 'BINDING_DISPOSED' | 'GRADIENT_NOT_READY';

/** Passes when `call` returns a promise rejected with a DistUsageError of one of `codes`. */
export async function expectUsageError(what: string, call: () => Promise<unknown>, ...codes: UsageErrorCode[]): Promise<void> {
  const expected = `a DistUsageError with code ${codes.join(' or ')}`;
  let pending: Promise<unknown>;
  try {
    pending = call();
  } catch (error) {
    fail(`${what} threw synchronously (${describeError(error)}); it must return a promise rejected with ${expected}`);
  }
  try {
    await pending;
  } catch (error) {
    if (!isUsageError(error, codes)) fail(`${what} rejected with ${describeError(error)}, expected ${expected}`);
    if (!(error as Error).message) fail(`${what}: the DistUsageError has an empty message; say what to do instead`);
    return;
  }
  fail(`${what} resolved; expected ${expected}`);
}

export function isUsageError(error: unknown, codes: readonly UsageErrorCode[]): boolean {
  const { name, code } = (error ?? {}) as { name?: string; code?: string };
  return name === 'DistUsageError' && codes.includes(code as UsageErrorCode);
}

/** Rejects with a CheckFailure naming `what` when `pending` has not settled within `limitMs`. */
export async function settleWithin<T>(what: string, pending: Promise<T>, limitMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailure(`${what} did not settle within ${limitMs / 1000} s`)), limitMs);
  });
  try {
    return await Promise.race([pending, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Marks a promise a check will await later as handled now, so that a rejection while the check
 * awaits something else (or after it failed) is not an unhandled rejection; returns the promise.
 */
export function awaitLater<T>(pending: Promise<T>): Promise<T> {
  pending.catch(() => undefined);
  return pending;
}

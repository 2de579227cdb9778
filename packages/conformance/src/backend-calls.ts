/**
 * Calling a backend under test: every result is checked for the contract's shape (finite numbers,
 * a gradient of the right type and length) and every bad input for a typed rejection.
 */
import type { DistBackend, DistRequest, DistResult, Precision, Shape } from '@dist-kd/core';
import { fail } from './check.js';

export interface CheckedResult extends DistResult {
  readonly gradient: Float32Array | Float64Array;
}

/** Computes with the gradient and checks the result's contract. */
export async function computeWithGradient(backend: DistBackend, request: DistRequest & { shape?: Shape }): Promise<CheckedResult> {
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
  const length = request.shape ? request.shape[0] * request.shape[1] : countNested(request.student);
  if (values.length !== length) fail(`result.gradient has ${values.length} elements, expected B*C = ${length}`);
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

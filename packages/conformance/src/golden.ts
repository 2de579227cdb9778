/**
 * The `dist-golden/1` format (SPEC.md): reference values of the DIST loss, its two terms and the
 * student gradient, computed by PyTorch in float64 on inputs that are exact float32 values.
 */
import { EPS_MODES, type EpsMode } from '@dist-kd/core';

export const GOLDEN_FORMAT = 'dist-golden/1';

/** Absolute tolerances for a float32 backend; see TOLERANCES.md. */
export interface GoldenTolerance {
  readonly loss_atol: number;
  readonly grad_atol: number;
}

export interface GoldenCase {
  readonly name: string;
  readonly B: number;
  readonly C: number;
  readonly beta: number;
  readonly gamma: number;
  readonly tau: number;
  readonly eps: number;
  /** "design-note" when absent. */
  readonly eps_mode?: EpsMode;
  /** Row-major B*C, each exactly a float32 value. */
  readonly logits_s: readonly number[];
  readonly logits_t: readonly number[];
  readonly loss: number;
  /** Unscaled mean of 1 - corr over rows. */
  readonly inter: number;
  /** Unscaled mean of 1 - corr over columns. */
  readonly intra: number;
  /** dloss/dlogits_s, row-major B*C. */
  readonly grad_s: readonly number[];
  /** When absent, conformance derives one from the tolerance model. */
  readonly tol?: GoldenTolerance;
}

export interface GoldenFile {
  readonly format: typeof GOLDEN_FORMAT;
  readonly generator?: string;
  readonly cases: readonly GoldenCase[];
  /** Where it was read from, for check names and messages (not part of the JSON). */
  readonly source?: string;
}

/** A golden file that does not follow `dist-golden/1`. */
export class GoldenFormatError extends Error {
  override readonly name = 'GoldenFormatError';
}

/** Checks a parsed JSON document against `dist-golden/1` and returns it typed. */
export function parseGoldenFile(document: unknown, source = 'golden file'): GoldenFile {
  const fail = (what: string): never => {
    throw new GoldenFormatError(`${source}: ${what}`);
  };
  if (document === null || typeof document !== 'object') fail('not a JSON object');
  const file = document as Record<string, unknown>;
  if (file.format !== GOLDEN_FORMAT) fail(`format is ${JSON.stringify(file.format)}, expected "${GOLDEN_FORMAT}"`);
  if (!Array.isArray(file.cases) || file.cases.length === 0) fail('"cases" must be a non-empty array');
  const cases = (file.cases as unknown[]).map((c, index) => checkCase(c, `case ${index}`, fail));
  return {
    format: GOLDEN_FORMAT,
    generator: typeof file.generator === 'string' ? file.generator : undefined,
    cases,
    source,
  };
}

function checkCase(value: unknown, label: string, fail: (what: string) => never): GoldenCase {
  if (value === null || typeof value !== 'object') fail(`${label} is not an object`);
  const c = value as Record<string, unknown>;
  const where = typeof c.name === 'string' ? `case "${c.name}"` : label;
  if (typeof c.name !== 'string' || c.name === '') fail(`${label} has no name`);
  for (const key of ['B', 'C'] as const) {
    if (!Number.isInteger(c[key]) || (c[key] as number) < 1) fail(`${where}: ${key} must be a positive integer`);
  }
  for (const key of ['beta', 'gamma', 'tau', 'eps', 'loss', 'inter', 'intra'] as const) {
    if (typeof c[key] !== 'number' || !Number.isFinite(c[key])) fail(`${where}: ${key} must be a finite number`);
  }
  if (c.eps_mode !== undefined && !EPS_MODES.includes(c.eps_mode as EpsMode)) {
    fail(`${where}: eps_mode must be one of ${EPS_MODES.join(', ')}, got ${JSON.stringify(c.eps_mode)}`);
  }
  const length = (c.B as number) * (c.C as number);
  for (const key of ['logits_s', 'logits_t', 'grad_s'] as const) {
    const array = c[key];
    if (!Array.isArray(array) || array.length !== length) fail(`${where}: ${key} must be an array of B*C = ${length} numbers`);
    const bad = (array as unknown[]).findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) fail(`${where}: ${key}[${bad}] is not a finite number`);
  }
  for (const key of ['logits_s', 'logits_t'] as const) {
    const inexact = (c[key] as number[]).findIndex((v) => Math.fround(v) !== v);
    if (inexact >= 0) fail(`${where}: ${key}[${inexact}] = ${(c[key] as number[])[inexact]} is not exactly a float32 value`);
  }
  if (c.tol !== undefined) {
    const tol = c.tol as Record<string, unknown> | null;
    const valid = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
    if (tol === null || typeof tol !== 'object' || !valid(tol.loss_atol) || !valid(tol.grad_atol)) {
      fail(`${where}: tol must be { loss_atol, grad_atol } with non-negative numbers`);
    }
  }
  return c as unknown as GoldenCase;
}

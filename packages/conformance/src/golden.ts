/**
 * The `dist-golden/1` format (SPEC.md): reference values of the DIST loss, its two terms and the
 * student gradient, computed by PyTorch in float64 on inputs that are exact float32 values.
 */
import { ACTIVATIONS, EPS_MODES, type Activation, type EpsMode } from '@dist-kd/core';

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
  /** B values 0 or 1 (SPEC "Row masks"); every row counts when absent. */
  readonly mask?: readonly number[];
  /** "softmax" when absent (SPEC "Activation"). */
  readonly activation?: Activation;
  /** false: the loss without tau^2 (core's `tauSquared: false`); true when absent. */
  readonly tau_squared?: boolean;
  /**
   * "rows" when absent. "nchw" or "nhwc": logits_s, logits_t and grad_s are dense logits of the
   * 4-D `shape` in that layout, B = N*H*W rows of C classes (SPEC "Dense predictions").
   */
  readonly layout?: 'rows' | 'nchw' | 'nhwc';
  /** [N, C, H, W] or [N, H, W, C], with `layout`. */
  readonly shape?: readonly [number, number, number, number];
  /**
   * Fields of the case this reader does not implement (not part of the JSON): a case that has any is
   * refused by name, never computed without them.
   */
  readonly unimplemented?: readonly string[];
}

/** The case fields this reader implements; a case with any other is refused (SPEC "Golden fields"). */
export const GOLDEN_CASE_FIELDS: ReadonlySet<string> = new Set([
  'name', 'B', 'C', 'beta', 'gamma', 'tau', 'eps', 'eps_mode', 'logits_s', 'logits_t', 'loss', 'inter', 'intra',
  'grad_s', 'tol', 'mask', 'activation', 'tau_squared', 'layout', 'shape',
]);

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
  if (c.mask !== undefined) {
    const mask = c.mask;
    if (!Array.isArray(mask) || mask.length !== c.B || mask.some((v) => v !== 0 && v !== 1)) {
      fail(`${where}: mask must be an array of B = ${c.B} values, each 0 or 1`);
    }
  }
  if (c.activation !== undefined && !ACTIVATIONS.includes(c.activation as Activation)) {
    fail(`${where}: activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(c.activation)}`);
  }
  if (c.tau_squared !== undefined && typeof c.tau_squared !== 'boolean') fail(`${where}: tau_squared must be true or false`);
  if (c.layout !== undefined && c.layout !== 'rows') {
    if (c.layout !== 'nchw' && c.layout !== 'nhwc') fail(`${where}: layout must be "rows", "nchw" or "nhwc", got ${JSON.stringify(c.layout)}`);
    const shape = c.shape as unknown[];
    const ok = Array.isArray(shape) && shape.length === 4 && shape.every((n) => Number.isInteger(n) && (n as number) > 0);
    if (!ok) fail(`${where}: layout "${c.layout}" needs shape: four positive integers`);
    const [n, a, b, d] = shape as number[];
    const [classes, pixels] = c.layout === 'nchw' ? [a, b * d] : [d, a * b];
    if (classes !== c.C || n * pixels !== c.B) fail(`${where}: shape ${JSON.stringify(shape)} (${c.layout}) must have C = ${c.C} classes and N*H*W = B = ${c.B}`);
  } else if (c.shape !== undefined) {
    fail(`${where}: shape is only for layout "nchw" or "nhwc"`);
  }
  if (c.tol !== undefined) {
    const tol = c.tol as Record<string, unknown> | null;
    const valid = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
    if (tol === null || typeof tol !== 'object' || !valid(tol.loss_atol) || !valid(tol.grad_atol)) {
      fail(`${where}: tol must be { loss_atol, grad_atol } with non-negative numbers`);
    }
  }
  const unimplemented = Object.keys(c).filter((key) => !GOLDEN_CASE_FIELDS.has(key));
  return (unimplemented.length > 0 ? { ...c, unimplemented } : c) as unknown as GoldenCase;
}

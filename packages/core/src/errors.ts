/**
 * Typed errors. Every bad input gets a `DistInputError` whose `code` a program can branch on and
 * whose message says what was wrong and what to do; a backend that cannot run here throws a
 * `BackendUnavailableError` with the reason and a hint. Nothing returns a silent NaN.
 */

/** Why an input or option was rejected. */
export type DistInputErrorCode =
  /** The logits are not a Float32Array, Float64Array or nested number array. */
  | 'BAD_INPUT_TYPE'
  /** The shape is missing or malformed, rows are ragged, or a length is not B*C. */
  | 'BAD_SHAPE'
  /** Student and teacher shapes differ. */
  | 'SHAPE_MISMATCH'
  /** B or C is zero. */
  | 'EMPTY'
  /** NaN or ±Infinity in the logits, or logits/tau overflows. */
  | 'NON_FINITE'
  /** An option is unknown, non-finite or out of range. */
  | 'BAD_OPTION'
  /** eps = 0 met a zero-variance vector, so a correlation would be 0/0. */
  | 'DEGENERATE'
  /** A class label that is not a class: not an integer, or outside [0, C) (`distillationLoss`). */
  | 'BAD_LABEL'
  /** Shard statistics that are not statistics, or were computed with other classes or options. */
  | 'BAD_STATISTICS'
  /** A row mask that is not B values of 0 or 1, or a layout that does not fit the shape. */
  | 'BAD_MASK'
  /** A feature this backend does not implement (`activation: 'sigmoid'` on a backend without it); the message names it. */
  | 'UNSUPPORTED_FEATURE';

export class DistInputError extends Error {
  override readonly name = 'DistInputError';
  constructor(
    readonly code: DistInputErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
  readonly code = 'BACKEND_UNAVAILABLE' as const;
  constructor(
    /** The backend that was asked for. */
    readonly backend: string,
    /** Why it cannot run on this machine. */
    readonly reason: string,
    /** What to install or change so that it can. */
    readonly hint?: string,
  ) {
    super(`backend "${backend}" is unavailable: ${reason}${hint ? ` (${hint})` : ''}`);
  }
}

/** What the lifecycle of a backend or a binding does not allow, or a backend that was named wrongly. */
export type DistUsageErrorCode =
  /** A call on a backend after its `dispose()` began (or on a binding of that backend). */
  | 'BACKEND_DISPOSED'
  /** A call on a binding after its `dispose()`. */
  | 'BINDING_DISPOSED'
  /** `readGradient` when the latest `compute` on the binding was not a successful `compute(true)`. */
  | 'GRADIENT_NOT_READY'
  /** `createBackend({ variant })` with a variant the backend does not have. */
  | 'UNKNOWN_VARIANT';

/**
 * A call the lifecycle does not allow: the same codes and wording on every backend (see
 * `BackendLifecycle`), each message saying what to do instead.
 */
export class DistUsageError extends Error {
  override readonly name = 'DistUsageError';
  constructor(
    readonly code: DistUsageErrorCode,
    /** The backend the call was made on. */
    readonly backend: string,
    message: string,
  ) {
    super(`backend "${backend}": ${message}`);
  }
}

/** The UNKNOWN_VARIANT error of `createBackend({ variant })`, listing the variants there are. */
export function unknownVariantError(backend: string, variant: string, variants: readonly string[]): DistUsageError {
  const known = variants.length > 0 ? `the variants are ${variants.join(', ')}` : 'it has no variants; leave variant out';
  return new DistUsageError('UNKNOWN_VARIANT', backend, `unknown variant ${JSON.stringify(variant)}; ${known}`);
}

/** A backend failed at run time for a reason that is not the caller's input (a lost GPU device, say). */
export class BackendRuntimeError extends Error {
  override readonly name = 'BackendRuntimeError';
  readonly code = 'BACKEND_RUNTIME' as const;
  constructor(
    readonly backend: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`backend "${backend}": ${message}`, options);
  }
}

/**
 * The DEGENERATE error, one message for every backend: eps, as the backend computes with it
 * (`epsDescription`), is 0 and a row or column of the softmax has zero variance.
 */
export function degenerateError(epsDescription = 'eps = 0'): DistInputError {
  return new DistInputError(
    'DEGENERATE',
    `${epsDescription} and a row or column of the softmax has zero variance, so its correlation is 0/0; ` +
      'use eps > 0 (the default is 1e-8)',
  );
}

import { DistInputError } from './errors.js';
import { describe, resolveOptions, type DistOptions } from './options.js';
import type { Layout, RowMask } from './rows.js';

/** Logits of shape [B, C]: a row-major typed array (with `shape`), or B rows of C numbers. */
export type Logits = Float32Array | Float64Array | ReadonlyArray<ArrayLike<number>>;

export type Shape = readonly [batch: number, classes: number];

/** Dense logits: [N, C, H, W] with `layout: 'nchw'`, [N, H, W, C] with `layout: 'nhwc'`. */
export type DenseShape = readonly [number, number, number, number];

/** What a caller asks a backend to compute. */
export interface DistRequest {
  /** Student logits [B, C]; the gradient is taken with respect to these. */
  readonly student: Logits;
  /** Teacher logits [B, C]; a constant. */
  readonly teacher: Logits;
  /**
   * [B, C]; required when the logits are flat typed arrays, checked against nested arrays. With
   * `layout` "nchw" or "nhwc", the 4-D shape of dense logits.
   */
  readonly shape?: Shape | DenseShape;
  /** Where the classes are: "rows" (the default), "nchw" or "nhwc" (SPEC "Dense predictions"). */
  readonly layout?: Layout;
  /**
   * One 0 or 1 per row (per pixel, [N, H, W] flattened, for dense logits): the loss is that of the
   * kept rows alone and the gradient is 0 on ignored rows (SPEC "Row masks"). `maskFromLabels`
   * makes one from labels with an ignore index.
   */
  readonly mask?: RowMask;
  readonly options?: Partial<DistOptions>;
  /** Also return dloss/dstudent. */
  readonly gradient?: boolean;
}

export interface DistResult {
  /** beta * tau^2 * inter + gamma * tau^2 * intra */
  readonly loss: number;
  /** Mean over rows of 1 - corr(p_i, q_i), unscaled. */
  readonly inter: number;
  /** Mean over columns of 1 - corr(p_:j, q_:j), unscaled. */
  readonly intra: number;
  /**
   * dloss/dstudent, row-major [B, C], when asked for: a Float32Array when the student logits were a
   * Float32Array, a Float64Array otherwise.
   */
  readonly gradient?: Float32Array | Float64Array;
}

/** A request after validation: flat arrays, a checked shape and resolved options. */
export interface DistInput {
  readonly student: Float32Array | Float64Array;
  readonly teacher: Float32Array | Float64Array;
  readonly batch: number;
  readonly classes: number;
  readonly options: DistOptions;
  readonly gradient: boolean;
}

export type Precision = 'float32' | 'float64';

const FLOAT32_MAX = 3.4028234663852886e38;
const FLOAT32_MIN_NORMAL = 2 ** -126;
const FLOAT64_MIN_NORMAL = 2 ** -1022;

/**
 * Checks a request and flattens it. Every backend calls this first, so every backend rejects the
 * same bad inputs with the same codes. `precision` is the arithmetic the backend will use: a float32
 * backend also rejects logits that overflow float32.
 */
export interface ValidateSettings {
  /**
   * `checked` (default): every logit is checked to be finite and within `logitLimit`.
   * `deferred`: the values are not read. Only for a backend whose kernel turns any logit that is not
   * finite, or beyond `logitLimit`, into a NaN loss, and which then calls `checkLogitValues` to
   * throw the error that says which logit was wrong. It saves a pass over both inputs per call.
   */
  readonly values?: 'checked' | 'deferred';
  /**
   * `reject` (default): B = 0 is an EMPTY error. `allow`: a batch of no rows (and at least one class)
   * is valid, for the shards of a batch (one may be empty); flat logits need `shape` then.
   */
  readonly rows?: 'at-least-one' | 'any';
}

/**
 * The largest magnitude a logit may have for a backend of this precision: finite in its arithmetic,
 * and still finite once divided by tau.
 */
export function logitLimit(precision: Precision, tau: number): number {
  const largest = precision === 'float32' ? FLOAT32_MAX : Number.MAX_VALUE;
  return Math.min(largest, largest * tau);
}

/**
 * Headroom above the largest loss for the gradient's intermediate terms, which reach the weights over
 * eps (1e8 times them with the default eps = 1e-8): without it the cpu backend's float64 gradient was
 * NaN from tau = 1e152 (beta = gamma = 1), where the loss was still finite.
 */
const GRADIENT_HEADROOM = 2 ** 32;

/**
 * The temperatures a backend of this precision supports with these weights: tau^2 must be a normal
 * number of its arithmetic (below, the loss's scale underflows: tau = 1e-30 gives a float32 loss of
 * 0 where the reference gives 6e-60), and the largest loss, 2 * (|beta| + |gamma|) * tau^2 (each term
 * is at most 2), times GRADIENT_HEADROOM (2^32) must be finite (above, float32 kernels return NaN
 * from tau = 2e19). For float32 with beta = gamma = 2: [1.08e-19, 9.95e13].
 */
export function tauRange(precision: Precision, weights: Pick<DistOptions, 'beta' | 'gamma'>): { min: number; max: number } {
  const [smallest, largest] = precision === 'float32' ? [FLOAT32_MIN_NORMAL, FLOAT32_MAX] : [FLOAT64_MIN_NORMAL, Number.MAX_VALUE];
  const weight = 2 * Math.max(Math.abs(weights.beta) + Math.abs(weights.gamma), 1) * GRADIENT_HEADROOM;
  return { min: Math.sqrt(smallest), max: Math.sqrt(largest / weight) };
}

/** Throws BAD_OPTION when tau is outside `tauRange` for this precision and these weights. */
export function checkTauRange(options: DistOptions, precision: Precision): void {
  const { min, max } = tauRange(precision, options);
  if (options.tau >= min && options.tau <= max) return;
  throw new DistInputError(
    'BAD_OPTION',
    `option tau = ${options.tau} is outside [${min.toPrecision(3)}, ${max.toPrecision(3)}], the range a ${precision} backend ` +
      `supports with beta = ${options.beta} and gamma = ${options.gamma}: tau^2 must not underflow, and the largest loss, ` +
      `2 * (|beta| + |gamma|) * tau^2, must stay 2^32 times below overflow in ${precision} (room for the gradient's terms); ` +
      'rescale the logits rather than tau',
  );
}

export function validateRequest(
  request: DistRequest,
  precision: Precision = 'float64',
  settings: ValidateSettings = {},
): DistInput {
  if (request === null || typeof request !== 'object') {
    throw new DistInputError('BAD_INPUT_TYPE', `the request must be an object, got ${describe(request)}`);
  }
  const options = resolveOptions(request.options);
  checkTauRange(options, precision);
  refuseRowSelection(request);
  const shape = request.shape === undefined ? undefined : checkShape(request.shape);
  const student = flatten('student', request.student, shape);
  const teacher = flatten('teacher', request.teacher, shape);
  if (student.batch !== teacher.batch || student.classes !== teacher.classes) {
    throw new DistInputError(
      'SHAPE_MISMATCH',
      `student is [${student.batch}, ${student.classes}] but teacher is [${teacher.batch}, ${teacher.classes}]; ` +
        'both must be [B, C] with the same B and C',
    );
  }
  const { batch, classes } = student;
  if ((batch === 0 && settings.rows !== 'any') || classes === 0) {
    throw new DistInputError(
      'EMPTY',
      `the logits are empty ([${batch}, ${classes}]); DIST needs at least one sample and one class`,
    );
  }
  const input: DistInput = {
    student: student.data,
    teacher: teacher.data,
    batch,
    classes,
    options,
    gradient: request.gradient === true,
  };
  if (settings.values !== 'deferred') checkLogitValues(input, precision);
  return input;
}

/**
 * Throws `NON_FINITE` for the first logit that is not finite, or beyond `logitLimit`: the value
 * check of `validateRequest`, for a backend that deferred it and got a NaN loss.
 */
export function checkLogitValues(input: DistInput, precision: Precision): void {
  // Logits must be finite in the backend's arithmetic, and so must logits / tau.
  const { tau } = input.options;
  const limit = logitLimit(precision, tau);
  checkFinite('student', input.student, input.classes, limit, tau);
  checkFinite('teacher', input.teacher, input.classes, limit, tau);
}

/**
 * The input with copies of its logits (of the same array types), for a backend that reads them
 * after `compute` or `bind` returned: the caller may reuse its arrays from then on (the contract).
 */
export function copyLogits(input: DistInput): DistInput {
  return { ...input, student: input.student.slice(), teacher: input.teacher.slice() };
}

/**
 * The array type a backend returns the gradient in, as `DistResult.gradient` promises. With
 * `'overwritten'` the caller writes every element before anyone reads one, so in Node a large
 * array's memory is not zeroed first (`Buffer.allocUnsafeSlow`, as `torch.empty`), which saves a
 * pass over the whole array. Elsewhere, and for small arrays (where making the Buffer costs more
 * than zeroing), it is a plain, zeroed array.
 */
export function allocateGradient(input: DistInput, contents: 'zeroed' | 'overwritten' = 'zeroed'): Float32Array | Float64Array {
  const length = input.batch * input.classes;
  const float32 = input.student instanceof Float32Array;
  const bytes = length * (float32 ? 4 : 8);
  const unzeroed = contents === 'overwritten' && bytes >= UNZEROED_FROM_BYTES ? nodeBuffer()?.allocUnsafeSlow(bytes) : undefined;
  if (unzeroed) return float32 ? new Float32Array(unzeroed.buffer, unzeroed.byteOffset, length) : new Float64Array(unzeroed.buffer, unzeroed.byteOffset, length);
  return float32 ? new Float32Array(length) : new Float64Array(length);
}

const UNZEROED_FROM_BYTES = 256 * 1024;

/** Node's Buffer, read from the global object so that no bundler sees (or polyfills) a Node built-in. */
function nodeBuffer(): { allocUnsafeSlow(bytes: number): Uint8Array } | undefined {
  return (globalThis as { Buffer?: { allocUnsafeSlow(bytes: number): Uint8Array } }).Buffer;
}

/**
 * Masks and dense layouts reach a backend's kernel as plain rows, through `withRowSelection`: a
 * request that still has them here would otherwise be computed without them.
 */
function refuseRowSelection(request: DistRequest): void {
  const dense = Array.isArray(request.shape) && request.shape.length === 4;
  if (request.mask === undefined && request.layout === undefined && !dense) return;
  throw new DistInputError(
    'UNSUPPORTED_FEATURE',
    'this backend computes [B, C] rows only and was not wrapped for the features "masks" and "dense" ' +
      '(mask, layout, 4-D shapes); wrap it with withRowSelection from @dist-kd/core, or filter the rows yourself',
  );
}

function checkShape(shape: unknown): Shape {
  if (
    !Array.isArray(shape) ||
    shape.length !== 2 ||
    !shape.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)
  ) {
    throw new DistInputError(
      'BAD_SHAPE',
      `shape must be [B, C] with two non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
  return shape as unknown as Shape;
}

interface Flat {
  data: Float32Array | Float64Array;
  batch: number;
  classes: number;
}

function flatten(which: string, logits: Logits, shape: Shape | undefined): Flat {
  if (logits instanceof Float32Array || logits instanceof Float64Array) {
    if (shape === undefined) {
      throw new DistInputError(
        'BAD_SHAPE',
        `${which} is a flat ${logits.constructor.name} of length ${logits.length}; pass shape: [B, C] with it`,
      );
    }
    const [batch, classes] = shape;
    if (logits.length !== batch * classes) {
      throw new DistInputError(
        'BAD_SHAPE',
        `${which} has length ${logits.length} but shape [${batch}, ${classes}] needs B*C = ${batch * classes}`,
      );
    }
    return { data: logits, batch, classes };
  }
  if (!Array.isArray(logits)) {
    throw new DistInputError(
      'BAD_INPUT_TYPE',
      `${which} must be a Float32Array, a Float64Array or an array of rows, got ${describe(logits)}`,
    );
  }
  const batch = logits.length;
  const classes = batch === 0 ? (shape?.[1] ?? 0) : rowLength(which, logits[0], 0);
  const data = new Float64Array(batch * classes);
  for (let i = 0; i < batch; i++) {
    const row = logits[i];
    const length = rowLength(which, row, i);
    if (length !== classes) {
      throw new DistInputError(
        'BAD_SHAPE',
        `${which} rows are ragged: row 0 has ${classes} values, row ${i} has ${length}`,
      );
    }
    for (let j = 0; j < classes; j++) {
      const value = row[j];
      // Number() would read null, '' and false as 0 and true as 1: logits that were never numbers.
      if (typeof value !== 'number') {
        throw new DistInputError(
          'BAD_INPUT_TYPE',
          `${which}[${i}][${j}] is ${describe(value)}, not a number; nested logits must be numbers`,
        );
      }
      data[i * classes + j] = value;
    }
  }
  if (shape !== undefined && (shape[0] !== batch || shape[1] !== classes)) {
    throw new DistInputError(
      'BAD_SHAPE',
      `${which} is [${batch}, ${classes}] but shape says [${shape[0]}, ${shape[1]}]`,
    );
  }
  return { data, batch, classes };
}

function rowLength(which: string, row: unknown, index: number): number {
  if (row === null || typeof row !== 'object' || typeof (row as ArrayLike<number>).length !== 'number') {
    throw new DistInputError(
      'BAD_INPUT_TYPE',
      `${which}[${index}] must be an array of numbers, got ${describe(row)}`,
    );
  }
  return (row as ArrayLike<number>).length;
}

function checkFinite(
  which: string,
  data: Float32Array | Float64Array,
  classes: number,
  limit: number,
  tau: number,
): void {
  // Fast path: x - x is NaN exactly when x is NaN or ±Infinity, and NaN survives any sum. Four
  // independent sums keep the loop from waiting on one addition chain. Finite values above `limit`
  // (overflow once divided by tau, or outside float32) are possible only when the limit is below
  // what the array type can hold, and then the exact scan below runs.
  const n = data.length;
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    a += data[k] - data[k];
    b += data[k + 1] - data[k + 1];
    c += data[k + 2] - data[k + 2];
    d += data[k + 3] - data[k + 3];
  }
  for (; k < n; k++) a += data[k] - data[k];
  const typeLimit = data instanceof Float32Array ? FLOAT32_MAX : Number.MAX_VALUE;
  if (a + b + c + d === 0 && limit >= typeLimit) return;
  for (let k = 0; k < n; k++) {
    const value = data[k];
    // One comparison catches NaN (every comparison with NaN is false), ±Infinity and overflow.
    if (!(Math.abs(value) <= limit)) {
      const where = `${which}[${Math.floor(k / classes)}, ${k % classes}]`;
      if (Number.isFinite(value)) {
        throw new DistInputError(
          'NON_FINITE',
          `${where} = ${value} overflows once divided by tau = ${tau}` +
            (value > FLOAT32_MAX || value < -FLOAT32_MAX ? ' or in float32' : '') +
            '; check the logits or raise tau',
        );
      }
      throw new DistInputError(
        'NON_FINITE',
        `${where} is ${value}; the logits must be finite (check the model's output for NaN/Infinity)`,
      );
    }
  }
}

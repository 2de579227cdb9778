/**
 * Row masks and dense layouts (SPEC "Row masks", "Dense predictions"), once for every backend. A
 * masked call is exactly the call on the sub-batch of kept rows, and dense logits are rows in
 * another order, so both are a gather before a backend's row kernel and a scatter of its gradient
 * after it: `selectRows` does the two, and `withRowSelection` puts them around a backend's `compute`
 * and `bind`.
 */
import type { BoundDist, DistBackend, DistBinding, DistTerms } from './backend.js';
import { DistInputError } from './errors.js';
import type { DistRequest, DistResult, Logits, Precision } from './input.js';
import { checkTauRange } from './input.js';
import { BackendLifecycle } from './lifecycle.js';
import { describe, resolveOptions } from './options.js';

/**
 * Where the classes are in the logits: `rows` ([B, C], the default), `nchw` ([N, C, H, W],
 * PyTorch's dense layout) or `nhwc` ([N, H, W, C], TensorFlow's). Dense logits are N*H*W rows.
 */
export type Layout = 'rows' | 'nchw' | 'nhwc';

export const LAYOUTS: readonly Layout[] = ['rows', 'nchw', 'nhwc'];

/** 1 where a row counts, 0 where it is ignored: B values, or N*H*W for dense logits ([N, H, W] flattened). */
export type RowMask = ArrayLike<number>;

/** The features a backend declares in `DistBackend.supports`; absent means not offered. */
export interface BackendFeatures {
  /** `activation: 'sigmoid'`. */
  readonly sigmoid?: boolean;
  /** `mask` on `compute` and `bind`. */
  readonly masks?: boolean;
  /** 4-D logits with `layout: 'nchw' | 'nhwc'`. */
  readonly dense?: boolean;
}

/** The default ignore index: Cityscapes' and most segmentation datasets' "void" label. */
export const DEFAULT_IGNORE_INDEX = 255;

/**
 * The row mask of per-row (per-pixel) labels: 0 where the label is `ignoreIndex` (255 by default;
 * -100 is PyTorch's `cross_entropy` default, for sequences), 1 elsewhere.
 */
export function maskFromLabels(labels: ArrayLike<number>, ignoreIndex: number = DEFAULT_IGNORE_INDEX): Uint8Array {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    throw new DistInputError('BAD_MASK', `labels must be an array of numbers, got ${describe(labels)}`);
  }
  const mask = new Uint8Array(labels.length);
  for (let k = 0; k < labels.length; k++) mask[k] = labels[k] === ignoreIndex ? 0 : 1;
  return mask;
}

/** A request reduced to plain rows, and the way back to the caller's layout. */
export interface RowSelection {
  /** The kept rows as a [B_kept, C] request; undefined when no row is kept (no kernel call). */
  readonly rows: DistRequest | undefined;
  /** Rows in the caller's input (B, or N*H*W) and classes. */
  readonly batch: number;
  readonly classes: number;
  /** The result of `rows` (undefined when there were none) as the result of the caller's request. */
  restore(result: DistResult | undefined): DistResult;
  /** A gradient of the kept rows in the caller's layout, zero on ignored rows. */
  restoreGradient(rowsGradient: Float32Array | Float64Array | undefined): Float32Array | Float64Array;
}

/**
 * Undefined for a plain [B, C] request without a mask (nothing to do); otherwise the checked mask
 * and layout, the kept rows as a plain request and the way back. The gradient array type follows
 * the student's, as `DistResult.gradient` promises. Logit values of ignored rows are never read.
 */
export function selectRows(request: DistRequest, precision: Precision): RowSelection | undefined {
  if (request === null || typeof request !== 'object') return undefined;
  const { mask, layout } = request;
  const dense = Array.isArray(request.shape) && request.shape.length === 4;
  if (mask === undefined && layout === undefined && !dense) return undefined;
  const geometry = checkGeometry(request, layout ?? 'rows');
  const keep = checkMask(mask, geometry.batch);
  const options = resolveOptions(request.options);
  checkTauRange(options, precision);
  const { batch, classes } = geometry;
  const kept = keep ? keep.reduce((n, k) => n + k, 0) : batch;
  // Rows in their place already: a plain or NHWC input with every row kept goes as it is.
  const inPlace = geometry.layout !== 'nchw' && kept === batch;
  const float32 = request.student instanceof Float32Array;
  const allocate = (length: number) => (float32 ? new Float32Array(length) : new Float64Array(length));
  const rowIndex = keptRowIndex(keep, batch);
  const gather = (logits: Logits): Logits =>
    inPlace ? logits : gatherRows(logits, geometry, rowIndex, kept, allocate);
  const rows: DistRequest | undefined =
    kept === 0
      ? undefined
      : {
          student: gather(request.student),
          teacher: gather(request.teacher),
          shape: [kept, classes],
          options: request.options,
          gradient: request.gradient,
        };
  const restoreGradient = (rowsGradient: Float32Array | Float64Array | undefined) => {
    if (inPlace && rowsGradient) return rowsGradient;
    const out = allocate(batch * classes);
    if (rowsGradient) scatterRows(rowsGradient, out, geometry, rowIndex);
    return out;
  };
  return {
    rows,
    batch,
    classes,
    restoreGradient,
    restore(result) {
      if (!result) {
        // No kept row: nothing to learn, SPEC "Row masks".
        const empty = { loss: 0, inter: 0, intra: 0 };
        return request.gradient ? { ...empty, gradient: restoreGradient(undefined) } : empty;
      }
      return result.gradient ? { ...result, gradient: restoreGradient(result.gradient) } : result;
    },
  };
}

interface Geometry {
  readonly layout: Layout;
  /** Rows: B, or N*H*W. */
  readonly batch: number;
  readonly classes: number;
  /** H*W for dense logits, 1 for rows. */
  readonly pixels: number;
}

function checkGeometry(request: DistRequest, layout: Layout): Geometry {
  if (!LAYOUTS.includes(layout)) {
    throw new DistInputError('BAD_SHAPE', `layout must be "rows", "nchw" or "nhwc", got ${describe(layout)}`);
  }
  const shape = request.shape as readonly number[] | undefined;
  if (layout === 'rows') {
    if (shape !== undefined && shape.length !== 2) {
      throw new DistInputError(
        'BAD_SHAPE',
        `shape ${JSON.stringify(shape)} has ${shape.length} dimensions; [B, C] logits take a 2-D shape, ` +
          `[N, C, H, W] or [N, H, W, C] logits need layout: "nchw" or "nhwc"`,
      );
    }
    const batch = shape?.[0] ?? (Array.isArray(request.student) ? request.student.length : NaN);
    const classes = shape?.[1] ?? (Array.isArray(request.student) ? (request.student[0]?.length ?? 0) : NaN);
    if (!Number.isInteger(batch) || !Number.isInteger(classes)) {
      throw new DistInputError('BAD_SHAPE', 'flat logits need shape: [B, C]');
    }
    return { layout, batch, classes, pixels: 1 };
  }
  if (
    !Array.isArray(shape) ||
    shape.length !== 4 ||
    !shape.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)
  ) {
    const expected = layout === 'nchw' ? '[N, C, H, W]' : '[N, H, W, C]';
    throw new DistInputError(
      'BAD_SHAPE',
      `layout "${layout}" needs shape: ${expected} with four non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
  const [n, a, b, c] = shape;
  const [classes, height, width] = layout === 'nchw' ? [a, b, c] : [c, a, b];
  for (const which of ['student', 'teacher'] as const) {
    const logits = request[which];
    if (!(logits instanceof Float32Array || logits instanceof Float64Array)) {
      throw new DistInputError(
        'BAD_INPUT_TYPE',
        `${which} must be a Float32Array or Float64Array for layout "${layout}", got ${describe(logits)}`,
      );
    }
    if (logits.length !== n * a * b * c) {
      throw new DistInputError(
        'BAD_SHAPE',
        `${which} has length ${logits.length} but shape ${JSON.stringify(shape)} needs ${n * a * b * c}`,
      );
    }
  }
  if (n * height * width === 0 || classes === 0) {
    throw new DistInputError('EMPTY', `the logits are empty (shape ${JSON.stringify(shape)}); DIST needs at least one pixel and one class`);
  }
  return { layout, batch: n * height * width, classes, pixels: height * width };
}

/** The mask as 0/1 bytes, or undefined when there is none (every row kept). */
function checkMask(mask: RowMask | undefined, batch: number): Uint8Array | undefined {
  if (mask === undefined) return undefined;
  if (mask === null || typeof mask !== 'object' || typeof mask.length !== 'number') {
    throw new DistInputError('BAD_MASK', `mask must be an array of 0s and 1s (one per row), got ${describe(mask)}`);
  }
  if (mask.length !== batch) {
    throw new DistInputError(
      'BAD_MASK',
      `mask has ${mask.length} values but the logits have ${batch} rows (B, or N*H*W for dense logits); give one 0 or 1 per row`,
    );
  }
  const keep = new Uint8Array(batch);
  for (let i = 0; i < batch; i++) {
    const value = mask[i];
    if (value !== 0 && value !== 1) {
      throw new DistInputError(
        'BAD_MASK',
        `mask[${i}] is ${describe(value)}; a mask holds 1 (the row counts) or 0 (ignored), nothing else ` +
          '(for per-row weights, scale the rows yourself: DIST is not a mean of per-row losses)',
      );
    }
    keep[i] = value;
  }
  return keep;
}

/**
 * The indices of the rows a mask keeps, in order, after checking it (BAD_MASK: not `rows` values of
 * 0 or 1): for an integration that gathers rows itself (the tfjs loss gathers tensors).
 */
export function keptRowIndices(mask: RowMask, rows: number): Int32Array {
  const keep = checkMask(mask, rows)!;
  const indices = new Int32Array(keep.reduce((n, k) => n + k, 0));
  let next = 0;
  for (let i = 0; i < rows; i++) if (keep[i]) indices[next++] = i;
  return indices;
}

/** Each row's place among the kept rows, -1 for an ignored row. */
function keptRowIndex(keep: Uint8Array | undefined, batch: number): Int32Array {
  const index = new Int32Array(batch);
  let next = 0;
  for (let i = 0; i < batch; i++) index[i] = !keep || keep[i] ? next++ : -1;
  return index;
}

/** Where element (row, class) of the caller's logits is: row r = (n, pixel) for dense layouts. */
function elementOffset(geometry: Geometry, row: number, classIndex: number): number {
  const { layout, classes, pixels } = geometry;
  if (layout !== 'nchw') return row * classes + classIndex;
  const n = Math.floor(row / pixels);
  return (n * classes + classIndex) * pixels + (row - n * pixels);
}

function gatherRows(
  logits: Logits,
  geometry: Geometry,
  rowIndex: Int32Array,
  kept: number,
  allocate: (length: number) => Float32Array | Float64Array,
): Logits {
  const { batch, classes } = geometry;
  if (!(logits instanceof Float32Array || logits instanceof Float64Array)) {
    // Nested rows (layout "rows" only): keep the kept ones, the backend validates them.
    if (!Array.isArray(logits)) return logits;
    return logits.filter((_, i) => rowIndex[i] >= 0);
  }
  if (logits.length !== batch * classes) return logits; // the backend's validation names the mismatch
  const out = allocate(kept * classes);
  for (let row = 0; row < batch; row++) {
    const to = rowIndex[row];
    if (to < 0) continue;
    for (let j = 0; j < classes; j++) out[to * classes + j] = logits[elementOffset(geometry, row, j)];
  }
  return out;
}

function scatterRows(
  rowsGradient: Float32Array | Float64Array,
  out: Float32Array | Float64Array,
  geometry: Geometry,
  rowIndex: Int32Array,
): void {
  const { batch, classes } = geometry;
  for (let row = 0; row < batch; row++) {
    const from = rowIndex[row];
    if (from < 0) continue;
    for (let j = 0; j < classes; j++) out[elementOffset(geometry, row, j)] = rowsGradient[from * classes + j];
  }
}

/**
 * Refuses a request for a feature the backend does not declare in `supports`, with
 * UNSUPPORTED_FEATURE naming it, rather than computing something else.
 */
export function checkFeatures(request: Pick<DistRequest, 'options'>, backend: Pick<DistBackend, 'name' | 'supports'>): void {
  // Only the feature is looked at: validating the rest is the backend's own job (validateRequest).
  const activation = (request as { options?: { activation?: unknown } } | null)?.options?.activation;
  if (activation === 'sigmoid' && !backend.supports?.sigmoid) {
    throw new DistInputError(
      'UNSUPPORTED_FEATURE',
      `backend "${backend.name}" does not implement the feature "sigmoid" (option activation: "sigmoid"); ` +
        'use a backend that declares supports.sigmoid (every backend of dist-kd does) or activation: "softmax"',
    );
  }
}

/**
 * The backend with row masks and dense layouts on `compute` and `bind` (declared in `supports`),
 * and features it does not declare refused: a backend applies this around its row kernel, so every
 * backend gets the one definition. The backend's own calls see plain [B_kept, C] rows only.
 */
export function withRowSelection<T extends DistBackend>(backend: T): T {
  // Only calls that reach no kernel (no kept row) run through this lifecycle; the rest go through the backend's.
  const lifecycle = new BackendLifecycle(backend.name);
  const bind = backend.bind?.bind(backend);
  const wrapped: T = {
    ...backend,
    supports: { ...backend.supports, masks: true, dense: true },
    compute(request: DistRequest): Promise<DistResult> {
      if (lifecycle.disposed) return Promise.reject(lifecycle.disposedError());
      let selection: RowSelection | undefined;
      try {
        checkFeatures(request, backend);
        selection = selectRows(request, backend.precision);
      } catch (error) {
        return Promise.reject(error);
      }
      if (!selection) return backend.compute(request);
      const chosen = selection;
      if (!chosen.rows) return lifecycle.run(async () => chosen.restore(undefined));
      return backend.compute(chosen.rows).then((result) => chosen.restore(result));
    },
    dispose: () => lifecycle.dispose(() => backend.dispose()),
  };
  if (bind) {
    wrapped.bind = async (binding: DistBinding): Promise<BoundDist> => {
      if (lifecycle.disposed) throw lifecycle.disposedError();
      checkFeatures(binding, backend);
      const selection = selectRows({ ...binding, gradient: false }, backend.precision);
      if (!selection) return bind(binding);
      if (!selection.rows) return emptyBinding(lifecycle, selection);
      const { gradient: _, ...rows } = selection.rows;
      const inner = await bind(rows);
      return {
        compute: (gradient) => inner.compute(gradient),
        readGradient: async () => selection.restoreGradient(await inner.readGradient()),
        dispose: () => inner.dispose(),
      };
    };
  }
  return wrapped;
}

/** A binding whose mask keeps no row: every call is 0 and a zero gradient, with the usual lifecycle. */
function emptyBinding(lifecycle: BackendLifecycle, selection: RowSelection): BoundDist {
  const zero: DistTerms = { loss: 0, inter: 0, intra: 0 };
  return lifecycle.bind({
    compute: async () => zero,
    readGradient: async () => selection.restoreGradient(undefined),
    release: () => undefined,
  });
}

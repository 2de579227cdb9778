/**
 * Memory guards: a backend estimates what a call of [B, C] needs before it allocates anything, and
 * refuses with a `MemoryLimitError` that says the estimate and the limit, instead of being killed by
 * the system (issue #12: cpu at 2 x 50,000,000 peaked at 17.4 GB) or failing with an untyped
 * `RuntimeError: memory access out of bounds` (a WebAssembly heap).
 */
import { DistInputError } from './errors.js';

/** What one call holds at once, as a backend counts it; each part is in bytes. */
export interface MemoryModel {
  /** Per logit (B*C): copies of the inputs, the gradient, the kernel's per-element scratch. */
  readonly perElement: number;
  /** Per row (B): row statistics. */
  readonly perRow?: number;
  /** Per class (C): column statistics. */
  readonly perClass?: number;
}

/** A limit a call must fit in: its size in bytes and what it is, for the message. */
export interface MemoryLimit {
  readonly bytes: number;
  /** E.g. "the WebAssembly heap (4 GiB)" or "this machine's memory". */
  readonly what: string;
}

export class MemoryLimitError extends Error {
  override readonly name = 'MemoryLimitError';
  readonly code = 'MEMORY_LIMIT' as const;
  constructor(
    readonly backend: string,
    /** The estimate of what the call needs. */
    readonly requiredBytes: number,
    /** The limit it does not fit in. */
    readonly limitBytes: number,
    message: string,
  ) {
    super(`backend "${backend}": ${message}`);
  }
}

export function estimateBytes(model: MemoryModel, batch: number, classes: number): number {
  return model.perElement * batch * classes + (model.perRow ?? 0) * batch + (model.perClass ?? 0) * classes;
}

/** Throws MEMORY_LIMIT when a [batch, classes] call needs more than `limit` by `model`; `limit` undefined: no known limit. */
export function checkMemory(backend: string, model: MemoryModel, batch: number, classes: number, limit: MemoryLimit | undefined): void {
  if (!limit) return;
  const required = estimateBytes(model, batch, classes);
  if (required <= limit.bytes) return;
  throw new MemoryLimitError(
    backend,
    required,
    limit.bytes,
    `[${batch}, ${classes}] logits need about ${formatBytes(required)} (${model.perElement} bytes per logit), more than ` +
      `the ${formatBytes(limit.bytes)} of ${limit.what}; split the batch into shards of fewer rows (the intra term's ` +
      'statistics merge exactly across shards, SPEC.md) or set a larger memoryLimitBytes if the memory is there',
  );
}

/**
 * The host memory a call may use: `override` when given, else in Node the smaller of the machine's
 * memory and a cgroup limit (process.constrainedMemory); undefined where neither is known (browsers).
 */
export function hostMemoryLimit(override?: number): MemoryLimit | undefined {
  if (override !== undefined) return memoryLimitOverride(override);
  const node = (globalThis as { process?: NodeProcessLike }).process;
  const os = node?.getBuiltinModule?.('node:os') as { totalmem(): number } | undefined;
  if (!os) return undefined;
  const total = os.totalmem();
  const constrained = node?.constrainedMemory?.() ?? 0;
  return constrained > 0 && constrained < total
    ? { bytes: constrained, what: "this process's memory limit (cgroup)" }
    : { bytes: total, what: "this machine's memory" };
}

/** A backend's `memoryLimitBytes` option as its limit: a number of bytes above zero (BAD_OPTION otherwise). */
export function memoryLimitOverride(override: number): MemoryLimit {
  if (typeof override !== 'number' || !(override > 0) || !Number.isFinite(override)) {
    throw new DistInputError('BAD_OPTION', `memoryLimitBytes must be a finite number of bytes above 0, got ${typeof override === 'string' ? JSON.stringify(override) : String(override)}`);
  }
  return { bytes: override, what: 'memoryLimitBytes' };
}

interface NodeProcessLike {
  getBuiltinModule?(name: string): unknown;
  constrainedMemory?(): number | undefined;
}

function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}

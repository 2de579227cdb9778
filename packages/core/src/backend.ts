import type { DistRequest, DistResult, Precision } from './input.js';
import type { ShardStatistics } from './shards.js';
import type { BackendFeatures } from './rows.js';

/** A request without `gradient`: the logits and options that `bind` keeps. */
export type DistBinding = Omit<DistRequest, 'gradient'>;

/** The loss and its two unscaled terms. */
export type DistTerms = Omit<DistResult, 'gradient'>;

/**
 * Logits bound to a backend for repeated calls, kept where it computes (tfjs tensors, GPU buffers),
 * so that a call pays no host transfers: what a training loop sees, whose logits are produced and
 * consumed there. Calls may not overlap.
 */
export interface BoundDist {
  /**
   * Loss and terms; with `gradient`, the gradient too, kept on the backend's side for
   * `readGradient`. Rejects with `DistInputError` (DEGENERATE) like `compute`.
   */
  compute(gradient: boolean): Promise<DistTerms>;
  /**
   * The gradient of the latest `compute`, copied to host memory in the array type
   * `DistResult.gradient` would have; rejects when that call was `compute(false)` or there was none.
   */
  readGradient(): Promise<Float32Array | Float64Array>;
  /** Releases what the binding holds; `compute` rejects afterwards. */
  dispose(): Promise<void>;
}

/** Whether a backend can run on this machine, and if not, why and what to do. */
export type Availability =
  | {
      readonly available: true;
      /** What it runs on, for reports: "tfjs wasm (SIMD)", a GPU adapter's name, ... */
      readonly device?: string;
      /** True for a software emulation of an accelerator (a WebGPU fallback adapter, say). */
      readonly software?: boolean;
      /** Anything else worth putting in a benchmark report. */
      readonly details?: Readonly<Record<string, string>>;
    }
  | {
      readonly available: false;
      readonly reason: string;
      /** What to install or change. */
      readonly hint?: string;
    };

/**
 * A DIST compute backend. Implementations validate every request with `validateRequest` from this
 * package, so all backends reject bad input alike, and `@dist-kd/conformance` checks that they do.
 */
export interface DistBackend {
  /** The name reports use, e.g. "cpu", "tfjs-wasm", "webgpu". */
  readonly name: string;
  /** The arithmetic it computes in; conformance picks its tolerances from this. */
  readonly precision: Precision;
  /**
   * The optional features it offers (a manifest, read by conformance): what is absent or false is
   * refused with a `DistInputError` UNSUPPORTED_FEATURE naming it. `withRowSelection` adds masks
   * and dense layouts.
   */
  readonly supports?: BackendFeatures;
  /** Never throws: an unavailable backend says why. */
  availability(): Promise<Availability>;
  /**
   * Loss, unscaled inter and intra terms, and the gradient with respect to the student when
   * `request.gradient` is true. Rejects with `DistInputError` on bad input and
   * `BackendUnavailableError` when the backend cannot run here.
   */
  compute(request: DistRequest): Promise<DistResult>;
  /**
   * Optional: validates the logits as `compute` does, moves them where the backend computes once,
   * and returns calls that run there (the bench's `--resident` mode times these).
   */
  bind?(binding: DistBinding): Promise<BoundDist>;
  /**
   * Optional: DIST of a batch split across shards, exactly as the whole batch (`shards.ts` in core;
   * SPEC.md, "Shards of one batch").
   */
  readonly shards?: DistShards;
  /** Releases workers, GPU buffers, tensors. The backend is not used afterwards. */
  dispose(): Promise<void>;
}

/**
 * The two phases of DIST across the shards of one batch. A shard is a request like any other (its
 * rows, the options every shard shares); it may have no rows (flat logits with shape [0, C]).
 */
export interface DistShards {
  /** Phase 1: the shard's statistics (a versioned Float64Array, O(C) numbers; merge with `mergeShardStatistics`). */
  statistics(shard: DistBinding): Promise<ShardStatistics>;
  /**
   * Phase 2: the whole batch's loss, inter and intra from the merged statistics of every shard, and
   * with `shard.gradient` the gradient of that loss with respect to this shard's student rows.
   */
  compute(shard: DistRequest, merged: ShardStatistics): Promise<DistResult>;
}

export interface BackendConfig {
  /** A flavour of the backend, e.g. "wasm" for the tfjs backend. */
  readonly variant?: string;
  /**
   * Refuse (MemoryLimitError, MEMORY_LIMIT) a call whose memory estimate is above this many bytes,
   * instead of the backend's own limit (this machine's memory, a WebAssembly heap).
   */
  readonly memoryLimitBytes?: number;
}

/**
 * What a backend package exports so that it can be loaded by name or module path: the conformance
 * CLI and the bench load third-party backends through this too.
 */
export interface BackendModule {
  createBackend(config?: BackendConfig): DistBackend | Promise<DistBackend>;
}

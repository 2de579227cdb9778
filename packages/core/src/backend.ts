import type { DistRequest, DistResult, Precision } from './input.js';

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
  /** Never throws: an unavailable backend says why. */
  availability(): Promise<Availability>;
  /**
   * Loss, unscaled inter and intra terms, and the gradient with respect to the student when
   * `request.gradient` is true. Rejects with `DistInputError` on bad input and
   * `BackendUnavailableError` when the backend cannot run here.
   */
  compute(request: DistRequest): Promise<DistResult>;
  /** Releases workers, GPU buffers, tensors. The backend is not used afterwards. */
  dispose(): Promise<void>;
}

export interface BackendConfig {
  /** A flavour of the backend, e.g. "wasm" for the tfjs backend. */
  readonly variant?: string;
}

/**
 * What a backend package exports so that it can be loaded by name or module path: the conformance
 * CLI and the bench load third-party backends through this too.
 */
export interface BackendModule {
  createBackend(config?: BackendConfig): DistBackend | Promise<DistBackend>;
}

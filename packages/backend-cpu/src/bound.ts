import { allocateGradient, BackendRuntimeError, BackendUnavailableError, type BoundDist, type DistInput, type DistTerms } from '@dist-kd/core';

/** How a binding runs on one of the backend's paths. */
export interface BoundRunner {
  /** Loss and terms; with `gradient`, the gradient kept for `readGradient`. */
  run(gradient: boolean): DistTerms;
  /** A copy of the gradient of the last `run(true)`, in the array type the student had. */
  readGradient(into: Float32Array | Float64Array): void;
  /** Frees what the runner keeps for this binding. */
  release(): void;
}

/**
 * Validated logits kept where the path computes, for repeated calls: each `compute` skips the
 * validation and the copy in, and allocates nothing of size B*C.
 */
export function createBoundDist(input: DistInput, runner: BoundRunner, backendLive: () => boolean): BoundDist {
  // Dropped by dispose, so that what the runner holds can be freed.
  let live: BoundRunner | undefined = runner;
  /** Whether the runner holds the gradient of the last call. */
  let gradientReady = false;
  const usable = (): BoundRunner => {
    if (!live) throw new BackendUnavailableError('cpu', 'this binding was disposed; bind the logits again');
    if (!backendLive()) throw new BackendRuntimeError('cpu', 'the backend of this binding was disposed; create a new one');
    return live;
  };
  return {
    async compute(withGradient) {
      const current = usable();
      gradientReady = false;
      const terms = current.run(withGradient);
      gradientReady = withGradient;
      return terms;
    },
    async readGradient() {
      if (!live || !gradientReady) throw new Error('cpu: readGradient needs a successful compute(true) first');
      const current = usable();
      const gradient = allocateGradient(input);
      current.readGradient(gradient);
      return gradient;
    },
    async dispose() {
      live?.release();
      live = undefined;
      gradientReady = false;
    },
  };
}

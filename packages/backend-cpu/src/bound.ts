import { BackendUnavailableError, allocateGradient, type BoundDist, type DistBinding, type DistInput, type DistTerms } from '@dist-kd/core';
import type { GradientOutput } from './single-thread.js';

/** How a binding runs: the backend's own compute path, writing into the gradient it is given. */
export interface BoundRunner {
  run(gradient: GradientOutput | undefined): Promise<DistTerms>;
  /** Frees what the runner keeps for this binding (the workers' resident rows). */
  release(): Promise<void>;
}

/**
 * Validated logits kept for repeated calls, with one gradient array that every `compute(true)`
 * writes into: host memory is where this backend computes, so a call allocates nothing of size B*C
 * and, on the worker pool, sends the workers nothing but the go signal after the first call.
 */
export function createBoundDist(input: DistInput, runner: BoundRunner): BoundDist {
  // Dropped by dispose, with the runner that holds the logits, so that both can be collected.
  let live: { runner: BoundRunner; gradient: GradientOutput } | undefined = { runner, gradient: allocateGradient(input) };
  /** Whether the gradient array holds the gradient of the last call. */
  let gradientReady = false;
  return {
    async compute(withGradient) {
      if (!live) throw new BackendUnavailableError('cpu', 'this binding was disposed; bind the logits again');
      gradientReady = false;
      const terms = await live.runner.run(withGradient ? live.gradient : undefined);
      gradientReady = withGradient;
      return terms;
    },
    async readGradient() {
      if (!live || !gradientReady) throw new Error('cpu: readGradient needs a successful compute(true) first');
      return live.gradient.slice();
    },
    async dispose() {
      const released = live?.runner;
      live = undefined;
      gradientReady = false;
      await released?.release();
    },
  };
}

/**
 * The input with logits of its own, so that later writes to the caller's arrays cannot reach the
 * binding unchecked; arrays validation already built from nested rows are its own already.
 */
export function ownLogits(input: DistInput, binding: DistBinding): DistInput {
  const own = (logits: Float32Array | Float64Array) => (logits === binding.student || logits === binding.teacher ? logits.slice() : logits);
  return { ...input, student: own(input.student), teacher: own(input.teacher) };
}

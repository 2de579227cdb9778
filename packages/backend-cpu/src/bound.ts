import { allocateGradient, type BoundCalls, type DistBinding, type DistInput, type DistTerms } from '@dist-kd/core';
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
 * Core's lifecycle (`BackendLifecycle.bind`) runs these calls one at a time, in call order, and
 * reads the gradient only after a successful compute(true).
 */
export function boundCalls(input: DistInput, runner: BoundRunner): BoundCalls {
  const gradient = allocateGradient(input);
  return {
    compute: (withGradient) => runner.run(withGradient ? gradient : undefined),
    readGradient: async () => gradient.slice(),
    release: () => runner.release(),
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

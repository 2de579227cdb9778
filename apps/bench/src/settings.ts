/** Default timing settings of a full run and of `--quick`. */
import { DEFAULT_OPTIONS } from '@dist-kd/core';
import { LOGIT_SCALE } from './inputs.js';
import type { BenchSettings } from './report.js';
import { OPS } from './sizes.js';
import { DEFAULT_NOISE } from './stats.js';

export const DEFAULT_SEED = 20260520;

/**
 * A case whose minimum samples of a warm call would take more than this many time budgets (a slow
 * baseline) is given only the fewest samples that are not marked noisy.
 */
export const LONG_CASE_BUDGETS = 5;

export function isLongCase(callMs: number, settings: BenchSettings): boolean {
  return callMs * settings.min_samples > LONG_CASE_BUDGETS * settings.time_ms;
}

/** The samples a long case gets. */
export function longCaseSamples(settings: BenchSettings): number {
  return Math.min(settings.min_samples, settings.noise.min_samples);
}

export function defaultSettings(quick: boolean, resident = false, full = false): BenchSettings {
  return {
    quick,
    full,
    // Training calls the loss with its gradient: the headline run times that; --full adds the forward alone.
    ops: full ? OPS : ['forward+backward'],
    resident,
    time_ms: quick ? 100 : 1000,
    min_samples: quick ? 5 : 10,
    warmup_samples: quick ? 1 : 3,
    max_call_ms: quick ? 500 : 5000,
    seed: DEFAULT_SEED,
    logit_scale: LOGIT_SCALE,
    options: DEFAULT_OPTIONS,
    noise: DEFAULT_NOISE,
  };
}

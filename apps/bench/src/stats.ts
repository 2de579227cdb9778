/** Turns timing statistics into a result's numbers, and marks the ones too noisy to trust. */
import type { NoiseThresholds } from './report.js';

export const DEFAULT_NOISE: NoiseThresholds = Object.freeze({
  max_rel_mad: 0.1,
  max_p99_over_median: 2,
  min_samples: 5,
});

/** The part of tinybench's latency statistics a result keeps (all in ms). */
export interface LatencyStats {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly mad: number;
  readonly samplesCount: number;
}

export interface Summary {
  median_ms: number;
  p99_ms: number;
  mean_ms: number;
  min_ms: number;
  max_ms: number;
  samples: number;
  rel_mad: number;
  p99_over_median: number;
  throughput_eps: number;
  noisy: boolean;
  noise: string[];
}

export function summarize(latency: LatencyStats, elementCount: number, thresholds: NoiseThresholds): Summary {
  const median = latency.p50;
  const relMad = latency.mad / median;
  const p99OverMedian = latency.p99 / median;
  const noise: string[] = [];
  if (relMad > thresholds.max_rel_mad) {
    noise.push(`MAD/median ${relMad.toFixed(2)} > ${thresholds.max_rel_mad}`);
  }
  if (p99OverMedian > thresholds.max_p99_over_median) {
    noise.push(`p99/median ${p99OverMedian.toFixed(2)} > ${thresholds.max_p99_over_median}`);
  }
  if (latency.samplesCount < thresholds.min_samples) {
    noise.push(`${latency.samplesCount} samples < ${thresholds.min_samples}`);
  }
  return {
    median_ms: median,
    p99_ms: latency.p99,
    mean_ms: latency.mean,
    min_ms: latency.min,
    max_ms: latency.max,
    samples: latency.samplesCount,
    rel_mad: relMad,
    p99_over_median: p99OverMedian,
    throughput_eps: elementCount / (median / 1000),
    noisy: noise.length > 0,
    noise,
  };
}

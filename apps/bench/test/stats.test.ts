import { describe, expect, it } from 'vitest';
import { DEFAULT_NOISE, summarize } from '../src/stats.js';

const steady = { p50: 10, p99: 11, mean: 10.1, min: 9.8, max: 11.2, mad: 0.2, samplesCount: 30 };

describe('summarize', () => {
  it('derives spread ratios and elements per second from the median', () => {
    const summary = summarize(steady, 1000 * 1000, DEFAULT_NOISE);
    expect(summary.median_ms).toBe(10);
    expect(summary.rel_mad).toBeCloseTo(0.02, 12);
    expect(summary.p99_over_median).toBeCloseTo(1.1, 12);
    expect(summary.throughput_eps).toBeCloseTo(1e8, 3);
    expect(summary.noisy).toBe(false);
    expect(summary.noise).toEqual([]);
  });

  it('marks a wide MAD, a long tail and too few samples as noisy, naming each', () => {
    const wide = summarize({ ...steady, mad: 2 }, 1, DEFAULT_NOISE);
    expect(wide.noisy).toBe(true);
    expect(wide.noise.join()).toMatch(/MAD\/median 0\.20 > 0\.1/);
    const tail = summarize({ ...steady, p99: 35 }, 1, DEFAULT_NOISE);
    expect(tail.noise.join()).toMatch(/p99\/median 3\.50 > 2/);
    const few = summarize({ ...steady, samplesCount: 3 }, 1, DEFAULT_NOISE);
    expect(few.noise.join()).toMatch(/3 samples < 5/);
  });
});

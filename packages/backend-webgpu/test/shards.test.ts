/**
 * `shards` beyond conformance's golden splits: shards whose rows are split into chunks (a forced
 * small storage binding), a near-uniform batch (whose column centring needs the small digits the
 * merged records keep), statistics read back as O(C) numbers, and the typed errors of both phases.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mergeShardStatistics, referenceDist, type DistOptions, type DistRequest, type DistResult } from '@dist-kd/core';
import { createBackend, type WebGpuBackend } from '../src/index.js';
import { logits, maxAbs, maxAbsDifference, TOLERANCE } from './helpers.js';

/** Phase 1 on each shard of `sizes` rows, the merge, phase 2 on each; the results in shard order. */
async function inShards(backend: WebGpuBackend, request: DistRequest & { shape: readonly [number, number] }, sizes: number[]) {
  const C = request.shape[1];
  let first = 0;
  const parts = sizes.map((rows) => {
    const slice = (values: Float32Array) => values.slice(first * C, (first + rows) * C);
    const part = { ...request, student: slice(request.student as Float32Array), teacher: slice(request.teacher as Float32Array), shape: [rows, C] as const };
    first += rows;
    return part;
  });
  const statistics = await Promise.all(parts.map(({ gradient: _, ...binding }) => backend.shards.statistics(binding)));
  const merged = mergeShardStatistics(...statistics);
  return { statistics, results: await Promise.all(parts.map((part) => backend.shards.compute(part, merged))) };
}

function joined(results: DistResult[]): Float32Array {
  const out = new Float32Array(results.reduce((n, r) => n + r.gradient!.length, 0));
  let at = 0;
  for (const r of results) {
    out.set(r.gradient!, at);
    at += r.gradient!.length;
  }
  return out;
}

function expectWholeBatch(results: DistResult[], request: DistRequest): void {
  const reference = referenceDist(request);
  for (const result of results) {
    expect(Math.abs(result.loss - reference.loss)).toBeLessThanOrEqual(TOLERANCE.scalarRelative * reference.loss + TOLERANCE.scalarAbsolute);
    expect(Math.abs(result.intra - reference.intra)).toBeLessThanOrEqual(TOLERANCE.scalarRelative + TOLERANCE.scalarAbsolute);
  }
  const gradient = joined(results);
  expect(maxAbsDifference(gradient, reference.gradient!)).toBeLessThanOrEqual(TOLERANCE.gradientRelative * maxAbs(reference.gradient!));
}

describe('webgpu shards', () => {
  const backend = createBackend();
  // 2000 bytes hold 12 rows of 40 classes: shards of 23 and 17 rows run in 2 chunks each.
  const chunked = createBackend({ maxStorageBindingBytes: 2000 });
  afterAll(async () => {
    await backend.dispose();
    await chunked.dispose();
  });

  it('shards split into chunks give the whole batch', async () => {
    const [B, C] = [40, 40];
    const request = { student: logits(B * C, 3, 8), teacher: logits(B * C, 4, 8), shape: [B, C] as const, gradient: true };
    const { results } = await inShards(chunked, request, [23, 17]);
    expectWholeBatch(results, request);
  });

  it('a near-uniform batch (tau = 1000, C = 2000) keeps its column digits across shards', async () => {
    // The intra term alone (beta = 0), whose gradient centres each p down its column: the column
    // means of p are 1/C plus deviations near 1e-4/C, centred in float32 without the merged records' split
    // (meanW + meanOffset) lose 3 digits (1.6e-3 of max|g| measured, 2e-6 with it).
    const [B, C] = [12, 2000];
    const options: Partial<DistOptions> = { tau: 1000, beta: 0 };
    const request = { student: logits(B * C, 5, 0.1), teacher: logits(B * C, 6, 0.1), shape: [B, C] as const, options, gradient: true };
    const { results } = await inShards(backend, request, [5, 0, 7]);
    expectWholeBatch(results, request);
  });

  for (const [label, scale, offset] of [['near 1/2', 1e-3, 0], ['near 1', 2, 30], ['tiny and near 1', 60, 0]] as const) {
    it(`sigmoid values ${label}: the shards give the whole batch`, async () => {
      const [B, C] = [10, 50];
      const options: Partial<DistOptions> = { activation: 'sigmoid', tau: 4 };
      const request = { student: logits(B * C, 9, scale, offset), teacher: logits(B * C, 10, scale, offset), shape: [B, C] as const, options, gradient: true };
      const { results } = await inShards(backend, request, [4, 0, 6]);
      expectWholeBatch(results, request);
    });
  }

  it('a shard\'s statistics are 8 + 5*C numbers, and phase 2 without the gradient gives the loss alone', async () => {
    const [B, C] = [6, 30];
    const request = { student: logits(B * C, 7), teacher: logits(B * C, 8), shape: [B, C] as const, gradient: false };
    const { statistics, results } = await inShards(backend, request, [2, 4]);
    expect(statistics.map((s) => s.length)).toEqual([8 + 5 * C, 8 + 5 * C]);
    expect(results.every((r) => r.gradient === undefined)).toBe(true);
    const whole = await backend.compute(request);
    expect(results[0].loss).toBeCloseTo(whole.loss, 5);
  });

  it('eps = 0 with a flat row is DEGENERATE in phase 1, with a flat merged column in phase 2', async () => {
    const options: Partial<DistOptions> = { eps: 0 };
    const flatRow = { student: Float32Array.from([1, 1, 1, 0, 2, 1]), teacher: logits(6, 9), shape: [2, 3] as const, options };
    await expect(backend.shards.statistics(flatRow)).rejects.toMatchObject({ code: 'DEGENERATE' });
    // Column 0 is constant over both shards' rows (each shard alone has one row: no variance either).
    const first = { student: Float32Array.from([0, 1, 2]), teacher: Float32Array.from([0, 2, 1]), shape: [1, 3] as const, options };
    const second = { student: Float32Array.from([0, 2, 1]), teacher: Float32Array.from([0, 1, 2]), shape: [1, 3] as const, options };
    const merged = mergeShardStatistics(await backend.shards.statistics(first), await backend.shards.statistics(second));
    await expect(backend.shards.compute({ ...first, gradient: true }, merged)).rejects.toMatchObject({ code: 'DEGENERATE' });
  });

  it('phase 2 refuses statistics of other options or classes (BAD_STATISTICS)', async () => {
    const shard = { student: logits(8, 1), teacher: logits(8, 2), shape: [2, 4] as const };
    const statistics = await backend.shards.statistics(shard);
    await expect(backend.shards.compute({ ...shard, options: { tau: 2 } }, statistics)).rejects.toMatchObject({ code: 'BAD_STATISTICS' });
    const wider = { student: logits(10, 1), teacher: logits(10, 2), shape: [2, 5] as const };
    await expect(backend.shards.compute(wider, statistics)).rejects.toMatchObject({ code: 'BAD_STATISTICS' });
  });
});

import { describe, expect, it } from 'vitest';
import {
  createReferenceBackend,
  emptyShardStatistics,
  mergeShardStatistics,
  mergedColumnTerms,
  readShardStatistics,
  shardStatistics,
  referenceDist,
  resolveOptions,
  type DistRequest,
  type ShardStatistics,
} from '../src/index.js';

function logits(length: number, seed: number, scale = 3): Float64Array {
  let state = seed >>> 0;
  return Float64Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 2 * scale;
  });
}

const [B, C] = [13, 9];
const whole: DistRequest = { student: logits(B * C, 1), teacher: logits(B * C, 2), shape: [B, C], options: { tau: 2, beta: 1, gamma: 3 }, gradient: true };

/** Rows [first, first + count) of the whole batch as a shard. */
function shard(first: number, count: number, request = whole): DistRequest {
  const [, classes] = request.shape!;
  const rows = (values: Float64Array) => values.slice(first * classes, (first + count) * classes);
  return { ...request, student: rows(request.student as Float64Array), teacher: rows(request.teacher as Float64Array), shape: [count, classes] };
}

describe('DIST across shards (reference)', () => {
  const backend = createReferenceBackend();
  const splits: Array<[string, number[]]> = [
    ['two uneven shards', [9, 4]],
    ['three shards with a one-row and an empty one', [1, 0, 12]],
    ['one shard', [13]],
  ];
  it.each(splits)('%s give the whole batch\'s loss, terms and gradient', async (_, sizes) => {
    const expected = referenceDist(whole);
    const starts = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
    const shards = sizes.map((count, k) => shard(starts[k], count));
    const statistics = await Promise.all(shards.map((s) => backend.shards!.statistics(s)));
    const merged = mergeShardStatistics(...statistics);
    expect(readShardStatistics(merged).rows).toBe(B);
    const results = await Promise.all(shards.map((s) => backend.shards!.compute(s, merged)));
    for (const result of results) {
      expect(result.loss).toBeCloseTo(expected.loss, 12);
      expect(result.inter).toBeCloseTo(expected.inter, 12);
      expect(result.intra).toBeCloseTo(expected.intra, 12);
    }
    const gradient = results.flatMap((r) => Array.from(r.gradient!));
    expect(gradient).toHaveLength(B * C);
    gradient.forEach((g, k) => expect(g).toBeCloseTo(expected.gradient![k], 12));
  });

  it('merges in any order and grouping to the same statistics, up to rounding', async () => {
    const parts = await Promise.all([shard(0, 3), shard(3, 5), shard(8, 1), shard(9, 4)].map((s) => backend.shards!.statistics(s)));
    const a = mergeShardStatistics(...parts);
    const b = mergeShardStatistics(mergeShardStatistics(parts[3], parts[1]), mergeShardStatistics(parts[2], parts[0]));
    expect(a.length).toBe(b.length);
    a.forEach((value, k) => expect(value).toBeCloseTo(b[k], 13));
  });

  it('survives a JSON round trip', async () => {
    const statistics = await backend.shards!.statistics(shard(0, 6));
    const travelled = Float64Array.from(JSON.parse(JSON.stringify(Array.from(statistics))) as number[]);
    expect(Array.from(travelled)).toEqual(Array.from(statistics));
    expect(mergeShardStatistics(travelled)).toEqual(statistics);
  });

  it('refuses statistics of other options or classes, and merged statistics with no rows, with BAD_STATISTICS', async () => {
    const options = resolveOptions(whole.options);
    const other = emptyShardStatistics(C, resolveOptions({ ...whole.options, tau: 3 }));
    const mine = await backend.shards!.statistics(shard(0, 4));
    expect(() => mergeShardStatistics(mine, other)).toThrow(expect.objectContaining({ code: 'BAD_STATISTICS', message: expect.stringContaining('tau') }));
    expect(() => mergeShardStatistics(mine, emptyShardStatistics(C + 1, options))).toThrow(expect.objectContaining({ code: 'BAD_STATISTICS' }));
    await expect(backend.shards!.compute(shard(0, 4), emptyShardStatistics(C, options))).rejects.toMatchObject({ code: 'BAD_STATISTICS' });
    await expect(backend.shards!.compute(shard(0, 4), new Float64Array([2, C]) as ShardStatistics)).rejects.toMatchObject({ code: 'BAD_STATISTICS' });
  });

  it('differs from the per-shard (official) loss, which sees only its own rows', async () => {
    const merged = mergeShardStatistics(...(await Promise.all([shard(0, 6), shard(6, 7)].map((s) => backend.shards!.statistics(s)))));
    const global = await backend.shards!.compute(shard(0, 6), merged);
    const local = referenceDist(shard(0, 6));
    expect(Math.abs(global.intra - local.intra)).toBeGreaterThan(1e-3);
  });
});

describe('mergedColumnTerms', () => {
  it('gives the whole batch\'s terms, and takes a merge\'s tiny negative sum of squares as 0', () => {
    const [B, C] = [6, 5];
    const wholeOptions = resolveOptions({});
    const request: DistRequest = { student: logits(B * C, 7), teacher: logits(B * C, 8), shape: [B, C], options: wholeOptions };
    const backend = createReferenceBackend();
    const whole = referenceDist(request);
    const halves = [0, 3].map((first) => backend.shards!.statistics({
      ...request,
      student: request.student.slice(first * C, (first + 3) * C),
      teacher: request.teacher.slice(first * C, (first + 3) * C),
      shape: [3, C],
    }));
    return Promise.all(halves).then((parts) => {
      const { terms } = mergedColumnTerms(readShardStatistics(mergeShardStatistics(...parts)), wholeOptions);
      expect(terms.loss).toBeCloseTo(whole.loss, 12);
      expect(terms.intra).toBeCloseTo(whole.intra, 12);
      // A flat column whose merged sum of squares rounded to -1e-55, with no eps inside the roots
      // (the official placement): sqrt(-1e-55) would be NaN.
      const options = resolveOptions({ eps: 1e-8, epsMode: 'official' });
      const zero = new Float64Array(C);
      const squares = Float64Array.from({ length: C }, (_, j) => (j === 0 ? -1e-55 : 1));
      const flat = shardStatistics(C, options, 4, 0, { rows: 4, meanStudent: zero, meanTeacher: zero, squaresStudent: squares, squaresTeacher: squares, coMoment: zero });
      const columns = mergedColumnTerms(readShardStatistics(flat), options);
      expect(Number.isFinite(columns.terms.loss)).toBe(true);
      expect(columns.r[0]).toBe(0);
      expect(columns.v[0]).toBe(0);
    });
  });
});

/**
 * `DistBackend.shards` is optional; a backend that offers it must give, for any split of a batch into
 * shards (uneven, a one-row shard, an empty shard), the whole batch's loss, terms and gradient: every
 * golden case runs split two and three ways against its golden values. Properties: merging in another
 * order and grouping changes the statistics only by rounding, and statistics survive JSON.
 */
import { mergeShardStatistics, type DistBackend, type DistRequest, type DistShards, type ShardStatistics } from '@dist-kd/core';
import { expectInputErrorFrom, typedFor } from '../backend-calls.js';
import { fail, type ConformanceCheck } from '../check.js';
import { expectArrayClose, expectClose } from '../compare.js';
import type { GoldenCase, GoldenFile } from '../golden.js';
import { offers, type BackendFeatures } from '../features.js';
import { goldenLabel } from '../golden-files.js';
import { termTolerance } from '../tolerance.js';
import { caseOptions, caseTolerance } from './golden-checks.js';
import { makeProblem, requestFor } from '../problems.js';

/** Row counts of the shards of a batch of `batch` rows: two uneven shards, and one row, none, the rest. */
export function shardSplits(batch: number): number[][] {
  const larger = Math.ceil((2 * batch) / 3);
  return [
    [larger, batch - larger],
    [Math.min(1, batch), 0, batch - Math.min(1, batch)],
  ];
}

/**
 * Golden cases split into shards: those of plain rows (a masked or dense case is a selection of rows
 * first, which the shard API leaves to the caller) whose activation the backend offers.
 */
export function shardChecks(golden: readonly GoldenFile[], declared: BackendFeatures = {}): ConformanceCheck[] {
  const plainRows = (c: GoldenCase) => !c.unimplemented && c.mask === undefined && (c.layout === undefined || c.layout === 'rows');
  const goldenSplits = golden.flatMap((file) =>
    file.cases.filter(plainRows).flatMap((c) =>
      shardSplits(c.B).map((sizes) => ({
        name: `shards/${goldenLabel(file)}/${c.name} [${sizes.join('+')}]`,
        run: async (backend: DistBackend) => {
          const options = caseOptions(c);
          if (options.activation === 'sigmoid' && !offers(backend, 'sigmoid', declared)) {
            // Refusing the feature is checked by the golden check of the whole case; nothing to split.
            await expectInputErrorFrom('shards.statistics', () => shardsOf(backend).statistics({ student: new Float64Array(c.C), teacher: new Float64Array(c.C), shape: [1, c.C], options }), 'UNSUPPORTED_FEATURE');
            return;
          }
          const tolerance = caseTolerance(c, options, backend.precision);
          const whole: DistRequest = {
            student: typedFor(backend.precision, c.logits_s),
            teacher: typedFor(backend.precision, c.logits_t),
            shape: [c.B, c.C],
            options,
            gradient: true,
          };
          const results = await computeShards(shardsOf(backend), whole, sizes);
          for (const [k, result] of results.entries()) {
            expectClose(`shard ${k} loss`, result.loss, c.loss, tolerance.loss);
            expectClose(`shard ${k} inter`, result.inter, c.inter, termTolerance(tolerance.loss, options, 'inter'));
            expectClose(`shard ${k} intra`, result.intra, c.intra, termTolerance(tolerance.loss, options, 'intra'));
          }
          const gradient = concatenated(results.map((r) => r.gradient));
          expectArrayClose('gradient of the shards, in row order', gradient, c.grad_s, tolerance.gradient, c.C);
        },
      })),
    ),
  );
  return [...goldenSplits, mergeOrderCheck(), jsonRoundTripCheck()];
}

function shardsOf(backend: DistBackend): DistShards {
  if (!backend.shards || typeof backend.shards.statistics !== 'function' || typeof backend.shards.compute !== 'function') {
    fail('the backend has no shards { statistics, compute }, but the suite was told it offers them');
  }
  return backend.shards;
}

/** Rows [first, first + count) of a flat request. */
function rowsOf(request: DistRequest, first: number, count: number): DistRequest {
  const [, classes] = request.shape!;
  const slice = (values: DistRequest['student']) => (values as Float32Array | Float64Array).slice(first * classes, (first + count) * classes);
  return { ...request, student: slice(request.student), teacher: slice(request.teacher), shape: [count, classes] };
}

/** Phase 1 on each shard, the merge, phase 2 on each shard; each shard's result, with its gradient rows. */
async function computeShards(shards: DistShards, whole: DistRequest, sizes: readonly number[]) {
  const parts = sizes.map((count, k) => rowsOf(whole, sizes.slice(0, k).reduce((a, b) => a + b, 0), count));
  const statistics = await Promise.all(parts.map(({ gradient: _, ...binding }) => shards.statistics(binding)));
  statistics.forEach((s, k) => {
    if (!(s instanceof Float64Array)) fail(`shards.statistics of shard ${k} resolved to ${Object.prototype.toString.call(s)}, not a Float64Array`);
  });
  const merged = mergeShardStatistics(...statistics);
  const results = await Promise.all(parts.map((part) => shards.compute(part, merged)));
  results.forEach((result, k) => {
    const expected = sizes[k] * whole.shape![1];
    if (!result.gradient || result.gradient.length !== expected) {
      fail(`shard ${k} of ${sizes[k]} rows gave a gradient of ${result.gradient?.length ?? 'no'} elements, expected ${expected}`);
    }
  });
  return results as Array<(typeof results)[number] & { gradient: Float32Array | Float64Array }>;
}

function concatenated(parts: readonly (Float32Array | Float64Array)[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Merging four shards' statistics in two orders and groupings gives the same numbers up to rounding. */
function mergeOrderCheck(): ConformanceCheck {
  const problem = makeProblem('17x23', [17, 23], 47);
  return {
    name: `shards/merge-order-and-grouping [${problem.label}]`,
    run: async (backend) => {
      const shards = shardsOf(backend);
      const whole = requestFor(backend.precision, problem);
      const sizes = [5, 1, 7, 4];
      const parts = await Promise.all(
        sizes.map((count, k) => {
          const { gradient: _, ...binding } = rowsOf({ ...whole, gradient: false }, sizes.slice(0, k).reduce((a, b) => a + b, 0), count);
          return shards.statistics(binding);
        }),
      );
      const inOrder = mergeShardStatistics(...parts);
      const regrouped = mergeShardStatistics(mergeShardStatistics(parts[3], parts[1]), mergeShardStatistics(parts[2], parts[0]));
      // float64 rounding of values below the row count: far inside 1e-12.
      expectArrayClose('statistics merged in another order and grouping', regrouped, inOrder, 1e-12, 23);
    },
  };
}

/** Statistics sent as JSON (an array of numbers) merge and compute as the originals do. */
function jsonRoundTripCheck(): ConformanceCheck {
  const problem = makeProblem('9x30', [9, 30], 53);
  return {
    name: `shards/json-round-trip [${problem.label}]`,
    run: async (backend) => {
      const shards = shardsOf(backend);
      const whole = { ...requestFor(backend.precision, problem), gradient: true };
      const { gradient: _, ...first } = rowsOf(whole, 0, 4);
      const { gradient: __, ...second } = rowsOf(whole, 4, 5);
      const statistics = await Promise.all([shards.statistics(first), shards.statistics(second)]);
      const travelled = statistics.map((s) => Float64Array.from(JSON.parse(JSON.stringify(Array.from(s))) as number[]) as ShardStatistics);
      const direct = await shards.compute(rowsOf(whole, 0, 4), mergeShardStatistics(...statistics));
      const viaJson = await shards.compute(rowsOf(whole, 0, 4), mergeShardStatistics(...travelled));
      if (direct.loss !== viaJson.loss) fail(`the loss from statistics sent as JSON is ${viaJson.loss}, not ${direct.loss}`);
      expectArrayClose('gradient from statistics sent as JSON', viaJson.gradient!, direct.gradient!, 0, 30);
    },
  };
}

/**
 * `DistBackend.shards` of the tfjs backends (core's `DistShards`): a shard's arrays go into tensors
 * on the backend's tfjs platform and through the two phases of `dist-shards.ts` (the SIMD kernel on
 * tfjs wasm and cpu, tfjs ops elsewhere and for sigmoid). As on backend-cpu, a shard is plain
 * [B, C] rows (B may be 0): a mask or dense layout is refused with UNSUPPORTED_FEATURE by core's
 * validation, since selecting rows is the caller's, once for both phases.
 */
import * as tf from '@tensorflow/tfjs';
import {
  checkFeatures,
  checkShardStatisticsFor,
  validateRequest,
  type BackendFeatures,
  type BackendLifecycle,
  type DistInput,
  type DistRequest,
  type DistResult,
  type DistShards,
} from '@dist-kd/core';
import type { DistImplementation } from './dist-pass.js';
import { shardStatisticsOfRows, shardTerms } from './dist-shards.js';
import { degenerate } from './tensor-checks.js';
import { activate, type ReadyPlatform } from './tfjs-platform.js';

export interface ShardHost {
  readonly name: string;
  readonly implementation: DistImplementation;
  readonly lifecycle: BackendLifecycle;
  /** The backend's tfjs platform, started. */
  ready(): Promise<ReadyPlatform>;
  /** The platform's checks of an input, as `compute` makes them: the SIMD kernel's memory (MEMORY_LIMIT), before anything is allocated. */
  checkInput(input: DistInput, platform: ReadyPlatform): void;
}

/** Every variant with shards computes sigmoid (as tfjs ops). */
const SHARD_FEATURES: BackendFeatures = { sigmoid: true };

export function tfjsShards(host: ShardHost): DistShards {
  /** The shard validated (every value checked: phase 2 takes its loss from the merged statistics, so bad rows would not show in it) on the active platform. */
  const prepare = async (request: DistRequest): Promise<DistInput> => {
    checkFeatures(request, { name: host.name, supports: SHARD_FEATURES });
    const input = validateRequest(request, 'float32', { rows: 'any' });
    const platform = await host.ready();
    await activate(platform);
    host.checkInput(input, platform);
    return input;
  };
  const tensorsOf = (input: DistInput): [tf.Tensor2D, tf.Tensor2D] => {
    const shape: [number, number] = [input.batch, input.classes];
    return [tf.tensor2d(Float32Array.from(input.student), shape), tf.tensor2d(Float32Array.from(input.teacher), shape)];
  };
  return {
    statistics: (shard) =>
      host.lifecycle.run(async () => {
        const input = await prepare({ ...shard, gradient: false });
        const [student, teacher] = tensorsOf(input);
        try {
          return await shardStatisticsOfRows(student, teacher, input.options, host.implementation);
        } finally {
          tf.dispose([student, teacher]);
        }
      }),
    compute: (shard, merged) =>
      host.lifecycle.run(async () => {
        const input = await prepare(shard);
        const view = checkShardStatisticsFor(merged, input.classes, input.options);
        const [student, teacher] = tensorsOf(input);
        let terms: { scalars: tf.Tensor; gradient?: tf.Tensor };
        try {
          terms = tf.tidy(() => {
            const { loss, inter, intra, gradient } = shardTerms(student, teacher, view, input.options, host.implementation, input.gradient);
            return { scalars: tf.stack([loss, inter, intra]), gradient };
          });
        } finally {
          tf.dispose([student, teacher]);
        }
        try {
          return await readResult(terms.scalars, terms.gradient, input);
        } finally {
          tf.dispose([terms.scalars, ...(terms.gradient ? [terms.gradient] : [])]);
        }
      }),
  };
}

/** Both reads at once (one wait on a GPU); a loss that is not finite on checked values is eps = 0 meeting a flat vector. */
async function readResult(scalars: tf.Tensor, gradient: tf.Tensor | undefined, input: DistInput): Promise<DistResult> {
  const [values, gradientValues] = await Promise.all([scalars.data(), gradient?.data()]);
  const [loss, inter, intra] = values;
  if (!Number.isFinite(loss) || (gradientValues && !(gradientValues as Float32Array).every(Number.isFinite))) throw degenerate(input.options);
  const terms = { loss, inter, intra };
  if (!gradientValues) return terms;
  // The array type DistResult.gradient promises: the student's.
  const rows = gradientValues as Float32Array;
  return { ...terms, gradient: input.student instanceof Float32Array ? rows : Float64Array.from(rows) };
}

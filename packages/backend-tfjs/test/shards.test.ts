import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mergeShardStatistics, type DistOptions, type ShardStatistics } from '@dist-kd/core';
import {
  accumulateDistGradients,
  createBackend,
  distLocalLoss,
  distLoss,
  distShardLoss,
  distShardStatistics,
  distStatisticsTerms,
  useTfjsPlatform,
  type DistShardOptions,
} from '../src/index.js';
import { randomLogits, relativeError } from './helpers.js';

const B = 12;
const C = 7;
/** Uneven shards, one of them empty. */
const SIZES = [5, 0, 1, 6];

/** Within float32 rounding of a sum of a few terms: 1e-6 relative. */
function expectRelativelyClose(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-6 * Math.abs(expected));
}

function rowsOf(tensor: tf.Tensor2D, sizes: readonly number[]): tf.Tensor2D[] {
  return tf.split(tensor, sizes as number[], 0) as tf.Tensor2D[];
}

/** The two phases on each shard of [B, C] logits: the losses and the gradients' rows in order. */
async function shardedLossAndGradient(student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistShardOptions) {
  const students = rowsOf(student, SIZES);
  const teachers = rowsOf(teacher, SIZES);
  const statistics = await Promise.all(students.map((s, k) => distShardStatistics(teachers[k], s, options)));
  const merged = mergeShardStatistics(...statistics);
  const losses: number[] = [];
  const gradients = students.map((s, k) => {
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => distShardLoss(teachers[k], x, merged, options))(s);
    losses.push(value.dataSync()[0]);
    value.dispose();
    return grad;
  });
  const gradient = tf.concat(gradients, 0);
  const values = gradient.dataSync().slice();
  tf.dispose([...students, ...teachers, ...gradients, gradient]);
  return { losses, gradient: values, merged };
}

const settings: { title: string; platform: 'wasm' | 'cpu'; options: DistShardOptions }[] = [
  { title: 'tfjs-wasm, SIMD kernel', platform: 'wasm', options: {} },
  { title: 'tfjs-cpu, SIMD kernel', platform: 'cpu', options: {} },
  { title: 'tfjs-wasm, ops', platform: 'wasm', options: { implementation: 'ops' } },
  { title: 'tfjs-cpu, sigmoid (ops)', platform: 'cpu', options: { activation: 'sigmoid', tau: 2 } },
  { title: 'tfjs-wasm, official eps, tau 1', platform: 'wasm', options: { epsMode: 'official', tau: 1 } },
];

describe.each(settings)('distShardStatistics + distShardLoss ($title)', ({ platform, options }) => {
  it('give the whole batch loss on every shard and, row by row, its gradient', async () => {
    await useTfjsPlatform(platform);
    const { validate: _, implementation, ...distOptions } = options;
    const student = tf.tensor2d(randomLogits(B, C, 3, 3), [B, C]);
    const teacher = tf.tensor2d(randomLogits(B, C, 4, 3), [B, C]);
    const whole = tf.valueAndGrad((x: tf.Tensor) => distLoss(teacher, x, { ...distOptions, implementation }))(student);
    const wholeLoss = whole.value.dataSync()[0];
    const wholeGradient = whole.grad.dataSync().slice();
    const before = tf.memory().numTensors;
    const sharded = await shardedLossAndGradient(student, teacher, options);
    expect(tf.memory().numTensors).toBe(before);
    for (const loss of sharded.losses) expectRelativelyClose(loss, wholeLoss);
    expectRelativelyClose(distStatisticsTerms(sharded.merged, options).loss, wholeLoss);
    expect(relativeError(sharded.gradient, wholeGradient, 1e-3)).toBeLessThan(1e-4);
    // The local (official) loss of a shard is another number: its intra term sees 5 of the 12 rows.
    const localLoss = tf.tidy(() => distLocalLoss(tf.slice(teacher, 0, 5), tf.slice(student, 0, 5), distOptions).dataSync()[0]);
    expect(Math.abs(localLoss - wholeLoss)).toBeGreaterThan(1e-3);
    tf.dispose([student, teacher, whole.value, whole.grad]);
  });
});

describe('dense [N, H, W, C] shards', () => {
  it('are their N*H*W rows, and the gradient comes back in their shape', async () => {
    await useTfjsPlatform('wasm');
    const dense = tf.tensor4d(randomLogits(2 * 2 * 3, C, 8, 3), [2, 2, 3, C]);
    const teacher = tf.tensor4d(randomLogits(2 * 2 * 3, C, 9, 3), [2, 2, 3, C]);
    const rows = tf.reshape(dense, [12, C]) as tf.Tensor2D;
    const teacherRows = tf.reshape(teacher, [12, C]) as tf.Tensor2D;
    const merged = await distShardStatistics(teacher, dense);
    expect(Array.from(merged)).toEqual(Array.from(await distShardStatistics(teacherRows, rows)));
    const gradient = tf.grad((x: tf.Tensor) => distShardLoss(teacher, x, merged))(dense);
    expect(gradient.shape).toEqual([2, 2, 3, C]);
    const wholeGradient = tf.grad((x: tf.Tensor) => distLoss(teacherRows, x))(rows);
    expect(relativeError(gradient.dataSync(), wholeGradient.dataSync(), 1e-3)).toBeLessThan(1e-5);
    tf.dispose([dense, teacher, rows, teacherRows, gradient, wholeGradient]);
  });
});

describe('the shard functions refuse what they cannot compute', () => {
  it('a mask, statistics of another setting, bad logits, a bad option: typed errors', async () => {
    await useTfjsPlatform('wasm');
    const student = tf.tensor2d(randomLogits(4, C, 5, 3), [4, C]);
    const teacher = tf.tensor2d(randomLogits(4, C, 6, 3), [4, C]);
    const before = tf.memory().numTensors;
    await expect(distShardStatistics(teacher, student, { mask: [1, 1, 0, 1] } as DistShardOptions)).rejects.toMatchObject({ code: 'UNSUPPORTED_FEATURE' });
    await expect(distShardStatistics(teacher, student, { implementation: 'fast' } as unknown as DistShardOptions)).rejects.toMatchObject({ code: 'BAD_OPTION' });
    const statistics = await distShardStatistics(teacher, student, { tau: 4 });
    expect(() => distShardLoss(teacher, student, statistics, { tau: 2 })).toThrow(expect.objectContaining({ code: 'BAD_STATISTICS' }));
    expect(() => distShardLoss(teacher, student, new Float64Array(3) as ShardStatistics)).toThrow(expect.objectContaining({ code: 'BAD_STATISTICS' }));
    for (const implementation of ['auto', 'ops'] as const) {
      const bad = tf.tensor2d(Float32Array.from(randomLogits(4, C, 5, 3), (v, k) => (k === 9 ? NaN : v)), [4, C]);
      await expect(distShardStatistics(teacher, bad, { implementation })).rejects.toMatchObject({ code: 'NON_FINITE' });
      const merged = await distShardStatistics(teacher, student, { implementation });
      expect(() => tf.grad((x: tf.Tensor) => distShardLoss(teacher, x, merged, { implementation }))(bad)).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
      bad.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([student, teacher]);
  });

  it('the DistBackend\'s shards leave no tensor behind, on the SIMD kernel and the ops', async () => {
    for (const variant of ['wasm', 'ops-cpu']) {
      const backend = createBackend({ variant });
      const shard = (seed: number) => ({ student: randomLogits(5, C, seed), teacher: randomLogits(5, C, seed + 1), shape: [5, C] as [number, number] });
      const warm = await backend.shards!.statistics(shard(1));
      await backend.shards!.compute({ ...shard(1), gradient: true }, warm);
      const before = tf.memory().numTensors;
      for (let call = 0; call < 20; call++) {
        const merged = mergeShardStatistics(await backend.shards!.statistics(shard(1)), await backend.shards!.statistics(shard(3)));
        const result = await backend.shards!.compute({ ...shard(3), gradient: true }, merged);
        expect(result.gradient).toHaveLength(5 * C);
      }
      expect(tf.memory().numTensors).toBe(before);
      await backend.dispose();
    }
  });

  it('eps = 0 on a batch whose columns are constant is DEGENERATE in phase 2, without a tensor left', async () => {
    for (const variant of ['wasm', 'ops-wasm']) {
      const backend = createBackend({ variant });
      // Every row the same: each column of the batch has zero variance, in both shards.
      const row = randomLogits(1, C, 12);
      const shard = { student: Float32Array.from({ length: 3 * C }, (_, k) => row[k % C]), teacher: Float32Array.from({ length: 3 * C }, (_, k) => row[(k + 1) % C]), shape: [3, C] as [number, number], options: { eps: 0 } };
      const merged = mergeShardStatistics(await backend.shards!.statistics(shard), await backend.shards!.statistics(shard));
      const before = tf.memory().numTensors;
      await expect(backend.shards!.compute({ ...shard, gradient: true }, merged)).rejects.toMatchObject({ code: 'DEGENERATE' });
      expect(tf.memory().numTensors).toBe(before);
      await backend.dispose();
    }
  });

  it('the DistBackend refuses a masked or dense shard as backend-cpu does (UNSUPPORTED_FEATURE)', async () => {
    const backend = createBackend({ variant: 'wasm' });
    const request = { student: randomLogits(4, C, 5), teacher: randomLogits(4, C, 6), shape: [4, C] as [number, number] };
    await expect(backend.shards!.statistics({ ...request, mask: [1, 0, 1, 1] })).rejects.toMatchObject({ code: 'UNSUPPORTED_FEATURE' });
    await expect(
      backend.shards!.statistics({ ...request, shape: [1, C, 2, 2], layout: 'nchw' } as unknown as typeof request),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED_FEATURE' });
    await backend.dispose();
    // Where the suite does not check shards, they are not offered.
    expect(createBackend({ variant: 'webgl' }).shards).toBeUndefined();
  });
});

/** A linear student on fixed features, a fixed teacher, labels: enough to compare gradients. */
function problem(rows: number, features: number, seed: number) {
  const x = tf.tensor2d(randomLogits(rows, features, seed, 1), [rows, features]);
  const teacher = tf.tidy(() => tf.mul(tf.matMul(x, tf.tensor2d(randomLogits(features, C, seed + 1, 1), [features, C])), 3));
  const labels = tf.tidy(() => tf.oneHot(tf.argMax(teacher, 1), C).toFloat());
  return { x, teacher, labels };
}

describe.each(['wasm', 'cpu'] as const)('gradient accumulation over micro-batches (tfjs-%s)', (platform) => {
  it('accumulateDistGradients equals the whole batch gradient of CE + 2 * DIST, leaves no tensor, and the local loss differs', async () => {
    await useTfjsPlatform(platform);
    const rows = 48;
    const features = 9;
    const { x, teacher, labels } = problem(rows, features, 31);
    const w = tf.variable(tf.tensor2d(randomLogits(features, C, 40, 0.5), [features, C]), true, `w-${platform}`);
    const b = tf.variable(tf.zeros([C]), true, `b-${platform}`);
    const options: Partial<DistOptions> = { tau: 4, beta: 1, gamma: 1 };
    const logits = (input: tf.Tensor) => tf.add(tf.matMul(input, w), b);
    const ce = (y: tf.Tensor, z: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, z) as tf.Scalar;

    const whole = tf.variableGrads(() => tf.add(ce(labels, logits(x)), tf.mul(distLoss(teacher, logits(x), options), 2)) as tf.Scalar, [w, b]);
    const wholeLoss = whole.value.dataSync()[0];

    // Micro-batches of 16, 16, 0, 10 and 6 rows: statistics of all, then each one's gradient.
    const sizes = [16, 16, 0, 10, 6];
    const microBatches = sizes.map((size, k) => {
      const start = sizes.slice(0, k).reduce((n, m) => n + m, 0);
      return { x: tf.slice(x, start, size), teacher: tf.slice(teacher, start, size), labels: tf.slice(labels, start, size) };
    });
    const run = () =>
      accumulateDistGradients(microBatches, {
        studentLogits: (batch) => logits(batch.x),
        teacherLogits: (batch) => batch.teacher,
        rowLoss: (batch, studentLogits) => ce(batch.labels, studentLogits),
        distWeight: 2,
        varList: [w, b],
        options,
      });
    const first = await run();
    tf.dispose(Object.values(first.grads));
    const before = tf.memory().numTensors;
    const accumulated = await run();
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(Object.keys(accumulated.grads).sort()).toEqual([b.name, w.name].sort());
    expectRelativelyClose(accumulated.loss, wholeLoss);
    for (const variable of [w, b]) {
      expect(relativeError(accumulated.grads[variable.name].dataSync(), whole.grads[variable.name].dataSync(), 1e-3)).toBeLessThan(1e-4);
    }
    // The official convention on the same micro-batches: each one's own DIST. Its gradient is not the whole batch's.
    const local = tf.variableGrads(
      () =>
        tf.addN(
          // The empty micro-batch has no local loss (distLocalLoss refuses it, EMPTY).
          microBatches.filter((batch) => batch.x.shape[0] > 0).map((batch) =>
            tf.mul(tf.add(ce(batch.labels, logits(batch.x)), tf.mul(distLocalLoss(batch.teacher, logits(batch.x), options), 2)), batch.x.shape[0] / rows),
          ),
        ) as tf.Scalar,
      [w, b],
    );
    expect(relativeError(local.grads[w.name].dataSync(), whole.grads[w.name].dataSync(), 1e-3)).toBeGreaterThan(1e-2);

    // One optimizer step with the accumulated gradients, the way a training loop applies them.
    const optimizer = tf.train.sgd(0.1);
    const wBefore = w.dataSync().slice();
    optimizer.applyGradients(accumulated.grads);
    expect(relativeError(w.dataSync(), wBefore, 1e-3)).toBeGreaterThan(0);
    optimizer.dispose();
    tf.dispose([...Object.values(accumulated.grads), ...Object.values(whole.grads), whole.value, ...Object.values(local.grads), local.value]);
    tf.dispose([x, teacher, labels, w, b, ...microBatches.flatMap((batch) => [batch.x, batch.teacher, batch.labels])]);
  });

  it('with `exchange`, workers that merge each other\'s statistics get parts that sum to the whole gradient', async () => {
    await useTfjsPlatform(platform);
    const rows = 20;
    const features = 5;
    const { x, teacher, labels } = problem(rows, features, 51);
    const w = tf.variable(tf.tensor2d(randomLogits(features, C, 60, 0.5), [features, C]), true, `dp-w-${platform}`);
    const ce = (y: tf.Tensor, z: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, z) as tf.Scalar;
    const whole = tf.variableGrads(() => tf.add(ce(labels, tf.matMul(x, w)), distLoss(teacher, tf.matMul(x, w))) as tf.Scalar, [w]);
    // Three "workers" of 8, 12 and 0 rows; each exchanges its statistics for the merge of all.
    const starts = [0, 8, 20];
    const shards = [8, 12, 0].map((size, k) => ({
      x: tf.slice(x, starts[k], size),
      teacher: tf.slice(teacher, starts[k], size),
      labels: tf.slice(labels, starts[k], size),
    }));
    const posted: ShardStatistics[] = [];
    let release: () => void = () => undefined;
    const allPosted = new Promise<void>((resolve) => (release = resolve));
    const exchange = async (mine: ShardStatistics) => {
      posted.push(mine);
      if (posted.length === shards.length) release();
      await allPosted;
      return mergeShardStatistics(...posted);
    };
    const parts = await Promise.all(
      shards.map((shard) =>
        accumulateDistGradients([shard], {
          studentLogits: (batch) => tf.matMul(batch.x, w),
          teacherLogits: (batch) => batch.teacher,
          rowLoss: (batch, z) => ce(batch.labels, z),
          varList: [w],
          exchange,
        }),
      ),
    );
    // The worker without rows still names every variable, with a gradient of exactly zero.
    expect(Array.from(parts[2].grads[w.name].dataSync()).every((g) => g === 0)).toBe(true);
    const summed = tf.addN(parts.map((part) => part.grads[w.name]));
    expect(relativeError(summed.dataSync(), whole.grads[w.name].dataSync(), 1e-3)).toBeLessThan(1e-4);
    expectRelativelyClose(parts[0].rowLoss + parts[1].rowLoss + parts[0].dist.loss, whole.value.dataSync()[0]);
    tf.dispose([summed, whole.value, ...Object.values(whole.grads), ...parts.flatMap((part) => Object.values(part.grads))]);
    tf.dispose([x, teacher, labels, w, ...shards.flatMap((shard) => [shard.x, shard.teacher, shard.labels])]);
  });
});

/**
 * DIST of one batch split by rows across data-parallel workers or micro-batches, as tfjs ops
 * (SPEC.md, "Shards of one batch"; core's `shards.ts`). The intra-class term correlates each class
 * over the whole batch, so a training step runs in two phases:
 *
 * 1. `distShardStatistics(teacher, student)` on every shard: O(C) float64 numbers (core's
 *    `ShardStatistics`, a Float64Array that travels over postMessage or JSON), merged with core's
 *    `mergeShardStatistics` in any order and grouping;
 * 2. `distShardLoss(teacher, student, merged)` on every shard, inside `optimizer.minimize`,
 *    `tf.variableGrads` or `tf.grad`: a scalar whose value is the whole batch's DIST loss and whose
 *    gradient with respect to this shard's student logits is that shard's rows of the whole batch's
 *    gradient. The shards' parameter gradients therefore add up to the whole batch's gradient
 *    (their values do not add up: each is the whole loss).
 *
 * `distLocalLoss` is the other convention, the official code's under data parallelism: DIST of the
 * shard's rows alone, whose intra term sees only the local batch (SPEC.md). It is `distLoss` under
 * a name that says which loss it is.
 */
import * as tf from '@tensorflow/tfjs';
import {
  checkShardStatisticsFor,
  checkTauRange,
  DistInputError,
  emptyShardStatistics,
  resolveOptions,
  shardStatistics,
  validateRequest,
  readShardStatistics,
  type DistOptions,
  type DistTerms,
  type ShardStatistics,
  type ShardStatisticsView,
} from '@dist-kd/core';
import type { WholeBatch } from '@dist-kd/kernel-wasm';
import { distLoss, validationMode, type DistLossOptions, type DistValidation } from './dist-loss.js';
import { DIST_IMPLEMENTATIONS, runsDistKernel, type DistImplementation } from './dist-pass.js';
import { kernelPass } from './kernels/dist-kernel.js';
import { opsShardGradient, opsStatisticsTensor, readStatistics, wholeColumns } from './shard-ops.js';
import { servesShards, simdShardStatistics } from './simd/tfjs-kernel.js';
import { degenerate, explainedOnRead, explainNonFinite, readProbeSync } from './tensor-checks.js';

export interface DistShardOptions extends Partial<DistOptions> {
  /**
   * `auto` (default): the WebAssembly SIMD kernel on tfjs wasm and cpu (softmax), tfjs ops elsewhere.
   * `ops`: tfjs ops everywhere.
   * @default 'auto'
   */
  readonly implementation?: DistImplementation;
  /**
   * For `distShardLoss`, as `distLoss`'s `validate`: bad logits (NaN, ±Infinity) end in a
   * `DistInputError` instead of a NaN loss, at once where tensors live in this process and on the
   * loss's read on GPU backends; `'sync'` reads in the op everywhere, `false` checks nothing.
   * `distShardStatistics` reads its numbers back anyway and always checks them.
   * @default true
   */
  readonly validate?: DistValidation;
}

/**
 * Phase 1: the statistics of this shard's rows. Both logits are float32 [B, C] (or dense
 * [N, H, W, C]: N*H*W rows); B may be 0 (an empty shard). Every shard of a batch must use the same
 * options. Reads O(C) numbers back (asynchronously, so that GPU backends need not stall).
 */
export async function distShardStatistics(teacherLogits: tf.Tensor, studentLogits: tf.Tensor, options: DistShardOptions = {}): Promise<ShardStatistics> {
  const { resolved, implementation } = resolveShardOptions(options);
  const classes = checkShardLogits(teacherLogits, studentLogits);
  const [teacher, student] = [teacherLogits, studentLogits].map((logits) => asRows(logits, classes));
  try {
    return await shardStatisticsOfRows(student, teacher, resolved, implementation);
  } finally {
    if (teacher !== teacherLogits) tf.dispose([teacher, student]);
  }
}

/**
 * Phase 2: DIST of the whole batch whose merged statistics (`mergeShardStatistics` of every shard's
 * `distShardStatistics`) are `merged`, as a scalar differentiable with respect to `studentLogits`
 * (this shard's rows): its gradient is these rows' share of the whole batch's gradient, so summing
 * the shards' gradients gives the whole batch's. The value is the whole batch's loss on every shard.
 * The logits must be those the statistics came from.
 */
export function distShardLoss(teacherLogits: tf.Tensor, studentLogits: tf.Tensor, merged: ShardStatistics, options: DistShardOptions = {}): tf.Scalar {
  const { resolved, implementation, validate } = resolveShardOptions(options);
  const classes = checkShardLogits(teacherLogits, studentLogits);
  const view = checkShardStatisticsFor(merged, classes, resolved);
  const mode = validationMode(validate);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [logits, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const student = asRows(logits, classes);
    const teacher = asRows(teacherLogits, classes);
    const terms = shardTerms(student, teacher, view, resolved, implementation, true);
    const gradient = tf.reshape(terms.gradient!, logits.shape);
    // Phase 2's loss comes from the merged statistics, so a bad logit of this shard shows in its
    // gradient and its values only: the probe folds both into the value.
    const value = mode === 'off' ? terms.loss : tf.addN([terms.loss, tf.mul(tf.sum(gradient), 0), tf.mul(tf.sum(student), 0), tf.mul(tf.sum(teacher), 0)]);
    if (mode === 'in-op' && !Number.isFinite(readProbeSync(value, 'distShardLoss'))) {
      if (student.shape[0] > 0) explainNonFinite(teacher, student, resolved);
      throw degenerate(resolved);
    }
    save([gradient]);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(saved[0], dy) };
  });
  const loss = op(studentLogits) as tf.Scalar;
  return mode === 'on-read' ? explainedOnRead(loss, teacherLogits as tf.Tensor2D, studentLogits as tf.Tensor2D, resolved) : loss;
}

/**
 * The per-shard ("local") DIST loss: that of this shard's rows alone, the official implementation's
 * behaviour under data parallelism (its intra term correlates each class over the local batch only,
 * SPEC.md). Not the whole batch's loss, and its gradients do not add up to the whole batch's; kept
 * for comparison and for reproducing the official training. `distLoss` on the shard.
 */
export function distLocalLoss(teacherLogits: tf.Tensor, studentLogits: tf.Tensor, options: DistLossOptions = {}): tf.Scalar {
  return distLoss(teacherLogits, studentLogits, options);
}

/**
 * The whole batch's DIST loss, inter and intra from its merged statistics, in float64 and without
 * tensors: what every worker can log once the statistics are exchanged (`distShardLoss`'s value).
 */
export function distStatisticsTerms(merged: ShardStatistics, options: DistShardOptions = {}): DistTerms {
  const { resolved } = resolveShardOptions(options);
  const { loss, inter, intra } = wholeColumns(checkShardStatisticsFor(merged, readShardStatistics(merged).classes, resolved), resolved);
  return { loss, inter, intra };
}

/** Tensors of phase 2 on [B, C] rows (the caller owns them): the whole batch's loss and terms, these rows' gradient. */
export interface ShardTerms {
  readonly loss: tf.Scalar;
  readonly inter: tf.Scalar;
  readonly intra: tf.Scalar;
  readonly gradient?: tf.Tensor2D;
}

/** Phase 1 on [B, C] rows already checked (B may be 0); a NaN from bad logits becomes the error that says which. */
export async function shardStatisticsOfRows(student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions, implementation: DistImplementation): Promise<ShardStatistics> {
  const [rows, classes] = student.shape;
  if (rows === 0) return emptyShardStatistics(classes, options);
  let statistics: ShardStatistics;
  if (runsSimdShards(implementation, options)) {
    const { interSum, columns } = simdShardStatistics(student, teacher, options);
    statistics = shardStatistics(classes, options, rows, interSum, columns);
  } else {
    const tensor = opsStatisticsTensor(student, teacher, options);
    try {
      statistics = readStatistics((await tensor.data()) as Float32Array, rows, classes, options);
    } finally {
      tensor.dispose();
    }
  }
  if (!Number.isFinite(statistics[3])) await explainAsync(student, teacher, options);
  return statistics;
}

/**
 * Phase 2 on [B, C] rows already checked (B may be 0), from merged statistics checked for them:
 * the SIMD kernel finishing the columns from the merged statistics where it serves, else the
 * columns finished on the host in float64 and the gradient in tfjs ops.
 */
export function shardTerms(
  student: tf.Tensor2D,
  teacher: tf.Tensor2D,
  merged: ShardStatisticsView,
  options: DistOptions,
  implementation: DistImplementation,
  gradient: boolean,
): ShardTerms {
  return tf.tidy(() => {
    const [rows, classes] = student.shape;
    if (rows > 0 && runsSimdShards(implementation, options)) {
      const pass = kernelPass(student, teacher, options, gradient, wholeBatch(merged));
      const terms = { loss: pass.loss as tf.Scalar, inter: pass.inter as tf.Scalar, intra: pass.intra as tf.Scalar };
      return gradient ? { ...terms, gradient: pass.saved[0] as tf.Tensor2D } : terms;
    }
    const whole = wholeColumns(merged, options);
    const terms = { loss: tf.scalar(whole.loss), inter: tf.scalar(whole.inter), intra: tf.scalar(whole.intra) };
    if (!gradient) return terms;
    const rowsGradient = rows === 0 ? tf.zeros([0, classes]) : opsShardGradient(student, teacher, merged, whole, options);
    return { ...terms, gradient: rowsGradient as tf.Tensor2D };
  });
}

/** Whether the shard phases run on the SIMD kernel: where `DistKdDist` would, and the registered kernel is the SIMD one. */
function runsSimdShards(implementation: DistImplementation, options: DistOptions): boolean {
  return runsDistKernel(implementation, tf.getBackend(), options) && servesShards();
}

/** The kernel's view of merged statistics. */
function wholeBatch(merged: ShardStatisticsView): WholeBatch {
  return { rows: merged.rows, interSum: merged.interSum, columns: merged.columns };
}

function resolveShardOptions(options: DistShardOptions): { resolved: DistOptions; implementation: DistImplementation; validate: DistValidation } {
  if (options === null || typeof options !== 'object' || options instanceof tf.Tensor) {
    throw new DistInputError('BAD_OPTION', 'the shard functions take an options object as their last argument');
  }
  const { implementation = 'auto', validate = true, ...rest } = options;
  if ('mask' in rest) {
    throw new DistInputError(
      'UNSUPPORTED_FEATURE',
      'the shard functions take no mask: gather the kept rows of each shard (tf.gather) and pass those, ' +
        'so that every phase sees the same rows',
    );
  }
  if (!DIST_IMPLEMENTATIONS.includes(implementation)) {
    throw new DistInputError('BAD_OPTION', `implementation must be one of ${DIST_IMPLEMENTATIONS.join(', ')}, got ${JSON.stringify(implementation)}`);
  }
  if (validate !== true && validate !== false && validate !== 'sync') {
    throw new DistInputError('BAD_OPTION', `validate must be true, false or 'sync', got ${JSON.stringify(validate)}`);
  }
  const resolved = resolveOptions(rest);
  checkTauRange(resolved, 'float32');
  return { resolved, implementation, validate };
}

/** Checks the logits as `distLoss` does, except that a shard may have no rows; returns the classes. */
function checkShardLogits(teacherLogits: unknown, studentLogits: unknown): number {
  for (const [which, value] of [['teacherLogits', teacherLogits], ['studentLogits', studentLogits]] as const) {
    if (!(value instanceof tf.Tensor)) throw new DistInputError('BAD_INPUT_TYPE', `${which} must be a tf.Tensor, got ${value === null ? 'null' : typeof value}`);
    if (value.rank !== 2 && value.rank !== 4) {
      throw new DistInputError('BAD_SHAPE', `${which} must be [B, C] (rank 2) or dense [N, H, W, C] (rank 4), got shape [${value.shape.join(', ')}]`);
    }
    if (value.dtype !== 'float32') throw new DistInputError('BAD_INPUT_TYPE', `${which} must be float32, got ${value.dtype}; cast it with tf.cast(x, 'float32')`);
  }
  const teacher = teacherLogits as tf.Tensor;
  const student = studentLogits as tf.Tensor;
  if (student.rank !== teacher.rank || student.shape.some((n, k) => n !== teacher.shape[k])) {
    throw new DistInputError('SHAPE_MISMATCH', `studentLogits is [${student.shape.join(', ')}] but teacherLogits is [${teacher.shape.join(', ')}]; a shard's two logits have the same shape`);
  }
  const classes = student.shape[student.rank - 1];
  if (classes === 0) throw new DistInputError('EMPTY', 'the logits have no classes; DIST needs at least one');
  return classes;
}

/** [B, C] logits as they are; dense [N, H, W, C] ones as a new [N*H*W, C] tensor (a reshape tfjs differentiates). */
function asRows(logits: tf.Tensor, classes: number): tf.Tensor2D {
  return (logits.rank === 2 ? logits : tf.reshape(logits, [-1, classes])) as tf.Tensor2D;
}

/** Reads the logits (asynchronously: GPU backends in Node cannot read synchronously) and throws what was wrong. */
async function explainAsync(student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions): Promise<never> {
  const [s, t] = await Promise.all([student.data(), teacher.data()]);
  validateRequest({ student: s as Float32Array, teacher: t as Float32Array, shape: student.shape, options }, 'float32');
  throw degenerate(options);
}

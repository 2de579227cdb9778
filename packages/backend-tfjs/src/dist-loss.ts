/**
 * The DIST loss as a tfjs op: a scalar tensor whose gradient is SPEC.md's analytic one, registered
 * with `tf.customGrad`, so it works inside `optimizer.minimize`, `tf.grad`, `tf.variableGrads` and
 * as a `model.compile({ loss })` function. Only the student receives a gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { checkTauRange, DistInputError, keptRowIndices, resolveOptions, type DistOptions } from '@dist-kd/core';
import { DIST_IMPLEMENTATIONS, distPass, type DistImplementation } from './dist-pass.js';
import { checkLogitTensors, DeferredLossChecks, explainedOnRead, explainNonFinite, finiteProbe, readProbeSync } from './tensor-checks.js';

export interface DistLossOptions extends Partial<DistOptions> {
  /**
   * Bad logits (NaN, ±Infinity) and, with eps = 0, zero-variance rows or columns end in a
   * `DistInputError` (`NON_FINITE`, `DEGENERATE`) instead of a NaN. Shapes and dtypes are always
   * checked at the call.
   * - `true` (default): where tensors live in this process (tfjs wasm, cpu, node) the op reads one
   *   scalar and throws at once. On GPU backends (webgpu, webgl) the op reads nothing, so a training
   *   step never waits for the GPU: the loss is NaN for bad input, and reading the returned loss
   *   (`data`, `dataSync`, `array`, `arraySync`, on `distLoss`'s and `distillationLoss`'s result)
   *   throws the error instead of returning the NaN.
   * - `'sync'`: read and throw inside the op on every backend (a GPU stall per call).
   * - `false`: no value checks; bad input gives a NaN loss.
   */
  readonly validate?: DistValidation;
  /**
   * `auto` (default): the WebAssembly SIMD kernel on tfjs wasm and cpu, tfjs ops on other backends.
   * `ops`: tfjs ops everywhere, for comparison; slower on wasm and cpu.
   * @default 'auto'
   */
  readonly implementation?: DistImplementation;
  /**
   * Rows that count (SPEC "Row masks"): 1 where a row counts, 0 where it is ignored, one per row:
   * [B] for [B, C] logits, [N, H, W] for [N, H, W, C] logits (a tensor, or an array; `maskFromLabels`
   * from @dist-kd/core makes one from labels with an ignore index). The loss is that of the kept rows
   * alone and their gradient is exactly 0 on ignored rows; with no kept row the loss is 0. It is read
   * on the host (B numbers) to pick the rows; on tfjs-webgpu, which cannot read a tensor
   * synchronously, give an array (`await mask.data()`).
   */
  readonly mask?: tf.Tensor | ArrayLike<number>;
}

export type DistValidation = boolean | 'sync';

/** tfjs backends whose tensors are not in this process's memory: a read there waits for the device. */
const DEVICE_BACKENDS: readonly string[] = ['webgpu', 'webgl'];

/**
 * DIST loss in TensorFlow.js's order, labels first: `distLoss(teacherLogits, studentLogits)`.
 * Both are float32 [B, C] logits, or dense [N, H, W, C] ones (TensorFlow's layout: N*H*W rows of C
 * classes); returns beta*tau^2*inter + gamma*tau^2*intra as a scalar.
 */
export function distLoss(
  teacherLogits: tf.Tensor,
  studentLogits: tf.Tensor,
  options: DistLossOptions = {},
): tf.Scalar {
  rejectWeightsTensor(options);
  const { validate = true, implementation = 'auto', mask, ...distOptions } = options ?? {};
  const resolved = resolveOptions(distOptions);
  checkTauRange(resolved, 'float32');
  checkImplementation(implementation);
  checkValidation(validate);
  checkLogitTensors(teacherLogits, studentLogits);
  const mode = validationMode(validate);
  const loss = maskedOrDenseLoss(teacherLogits, studentLogits, mask, resolved, mode, implementation);
  return mode === 'on-read' ? explainedOnRead(loss, teacherLogits as tf.Tensor2D, studentLogits as tf.Tensor2D, resolved) : loss;
}

/**
 * How `validate` plays out on the active backend: `in-op` reads inside the op, `on-read` defers
 * the check to the first read of the loss, `off` checks nothing.
 */
export function validationMode(validate: DistValidation): 'in-op' | 'on-read' | 'off' {
  if (validate === false) return 'off';
  if (validate === 'sync') return 'in-op';
  return DEVICE_BACKENDS.includes(tf.getBackend()) ? 'on-read' : 'in-op';
}

/** The loss of the rows the mask keeps (all of them without a mask), dense logits read as rows. */
function maskedOrDenseLoss(
  teacherLogits: tf.Tensor,
  studentLogits: tf.Tensor,
  mask: tf.Tensor | ArrayLike<number> | undefined,
  resolved: DistOptions,
  mode: 'in-op' | 'on-read' | 'off',
  implementation: DistImplementation,
): tf.Scalar {
  if (mask === undefined && studentLogits.rank === 2) {
    return fusedDistLoss(teacherLogits as tf.Tensor2D, studentLogits as tf.Tensor2D, resolved, mode, implementation);
  }
  return tf.tidy(() => {
    // Dense logits are rows in NHWC order (a reshape, which tfjs differentiates), and a masked call
    // is the call on the kept rows (a gather, whose gradient is scattered back: zero on ignored rows).
    const classes = studentLogits.shape[studentLogits.rank - 1];
    const student = tf.reshape(studentLogits, [-1, classes]) as tf.Tensor2D;
    const teacher = tf.reshape(teacherLogits, [-1, classes]) as tf.Tensor2D;
    if (mask === undefined) return fusedDistLoss(teacher, student, resolved, mode, implementation);
    const kept = keptRowIndices(maskValues(mask, studentLogits.shape.slice(0, -1)), student.shape[0]);
    if (kept.length === 0) return nothingKept(student);
    if (kept.length === student.shape[0]) return fusedDistLoss(teacher, student, resolved, mode, implementation);
    const rows = tf.tensor2d(kept, [kept.length, 1], 'int32');
    return fusedDistLoss(tf.gatherND(teacher, rows) as tf.Tensor2D, student, resolved, mode, implementation, rows);
  });
}

/** The mask's values, after checking that it has one value per row ([B], or [N, H, W]). */
function maskValues(mask: tf.Tensor | ArrayLike<number>, rowShape: readonly number[]): ArrayLike<number> {
  if (!(mask instanceof tf.Tensor)) return mask;
  if (mask.shape.length !== rowShape.length || mask.shape.some((n, k) => n !== rowShape[k])) {
    throw new DistInputError(
      'BAD_MASK',
      `mask is [${mask.shape.join(', ')}] but the logits have rows [${rowShape.join(', ')}]; give one 0 or 1 per row`,
    );
  }
  // tfjs-webgpu cannot read a GPU tensor synchronously (Node throws; headless Chromium was seen to
  // return zeros, which would silently keep the wrong rows), so there the caller reads it first.
  if (tf.getBackend() === 'webgpu') {
    throw new DistInputError(
      'BAD_MASK',
      'on tfjs-webgpu the mask must be an array (one 0 or 1 per row): read the tensor first, ' +
        '`mask: await maskTensor.data()`, since the rows it keeps are picked on the host',
    );
  }
  return mask.dataSync();
}

/** No kept row: a loss of 0 whose gradient is 0 (SPEC "Row masks"), still connected to the student. */
function nothingKept(student: tf.Tensor2D): tf.Scalar {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const s = args[0] as tf.Tensor;
    return { value: tf.scalar(0), gradFunc: () => tf.zerosLike(s) };
  });
  return op(student) as tf.Scalar;
}

/** A `(yTrue, yPred) => loss` function for `model.compile({ loss })`; see `distLossFunction`. */
export interface DistLossFunction {
  (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar;
  /**
   * Waits for the checks of the losses computed so far and throws the `DistInputError` of a bad
   * batch among them (once): on GPU backends, the last batches of a `fit` are checked only here.
   */
  settle(): Promise<void>;
}

/**
 * A `(yTrue, yPred) => loss` function for `model.compile({ loss })`, whose targets are the teacher's
 * logits and whose model outputs the student's logits. Inside `fit`, tfjs reads only an epoch's mean
 * loss, so on GPU backends (default validation) each batch's loss is read asynchronously instead: a
 * bad batch makes the next batch's call throw its `DistInputError`, which rejects `fit`, and
 * `await lossFunction.settle()` after `fit` checks the last ones.
 */
export function distLossFunction(options: DistLossOptions = {}): DistLossFunction {
  const { validate = true, implementation = 'auto', mask: _mask, ...distOptions } = options;
  const resolved = resolveOptions(distOptions);
  checkTauRange(resolved, 'float32');
  checkImplementation(implementation);
  checkValidation(validate);
  const checks = new DeferredLossChecks();
  const lossFunction = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar => {
    checks.throwIfFound();
    const loss = distLoss(yTrue, yPred, options);
    if (validationMode(validate) === 'on-read') checks.watch(loss, yTrue, yPred, resolved);
    return loss;
  };
  return Object.assign(lossFunction, { settle: () => checks.settle() });
}

/**
 * `tf.losses.*` take `(labels, predictions, weights)`; a weights tensor here would otherwise be read
 * as options and fail on one of its internal fields ("unknown option kept").
 */
function rejectWeightsTensor(options: unknown): void {
  if (options instanceof tf.Tensor) {
    throw new DistInputError(
      'BAD_OPTION',
      'distLoss(teacherLogits, studentLogits, options) takes an options object as its third argument, got a tensor: ' +
        'DIST has no per-sample weights; scale the returned loss (tf.mul(weight, loss)) or pass { beta, gamma }',
    );
  }
}

function checkImplementation(implementation: unknown): void {
  if (!DIST_IMPLEMENTATIONS.includes(implementation as DistImplementation)) {
    throw new DistInputError(
      'BAD_OPTION',
      `implementation must be one of ${DIST_IMPLEMENTATIONS.join(', ')}, got ${JSON.stringify(implementation)}`,
    );
  }
}

function checkValidation(validate: unknown): void {
  if (validate !== true && validate !== false && validate !== 'sync') {
    throw new DistInputError('BAD_OPTION', `validate must be true, false or 'sync', got ${JSON.stringify(validate)}`);
  }
}

/**
 * The op itself; shapes are known to be right and options resolved. With `rows` ([B_kept, 1] row
 * indices) the loss is that of those rows of the student (the teacher holds them already), and the
 * gradient is scattered back into the student's shape. (A gather inside the op rather than before it:
 * tfjs-wasm has no kernel for tf.gather's own gradient.)
 */
function fusedDistLoss(
  teacher: tf.Tensor2D,
  student: tf.Tensor2D,
  options: DistOptions,
  mode: 'in-op' | 'on-read' | 'off',
  implementation: DistImplementation,
  rows?: tf.Tensor2D,
): tf.Scalar {
  // The teacher is closed over rather than passed in, so tfjs records no gradient path to it.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [all, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const s = rows ? (tf.gatherND(all, rows) as tf.Tensor2D) : all;
    const pass = distPass(s, teacher, options, { implementation });
    // A loss that is NaN for every bad logit: the kernels' is; the ops' absorbs -Infinity.
    const value = mode === 'off' || pass.lossFlagsBadInput ? pass.loss : finiteProbe(pass.loss, teacher, s);
    // Checked before `save`: what the forward made is still inside tfjs's scope for this op, so
    // throwing here frees it, even under a gradient tape.
    if (mode === 'in-op' && !Number.isFinite(readProbeSync(value, 'distLoss'))) {
      explainNonFinite(teacher, s, options);
    }
    save(rows ? [...pass.saved, rows] : pass.saved);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      if (!rows) return pass.backward(saved, dy);
      const indices = saved[saved.length - 1];
      return tf.scatterND(indices, pass.backward(saved.slice(0, -1), dy), all.shape);
    };
    return { value, gradFunc };
  });
  return op(student) as tf.Scalar;
}

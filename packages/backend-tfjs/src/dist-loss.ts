/**
 * The DIST loss as a tfjs op: a scalar tensor whose gradient is SPEC.md's analytic one, registered
 * with `tf.customGrad`, so it works inside `optimizer.minimize`, `tf.grad`, `tf.variableGrads` and
 * as a `model.compile({ loss })` function. Only the student receives a gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendRuntimeError, checkTauRange, DistInputError, keptRowIndices, resolveOptions, type DistOptions } from '@dist-kd/core';
import { DIST_IMPLEMENTATIONS, distPass, type DistImplementation } from './dist-pass.js';
import { checkLogitTensors, explainNonFinite, finiteProbe } from './tensor-checks.js';

export interface DistLossOptions extends Partial<DistOptions> {
  /**
   * Check that the logits and the loss are finite, throwing `DistInputError` (`NON_FINITE`,
   * `DEGENERATE`) instead of returning NaN. Default true. It costs a min over each input and one
   * synchronous read of a scalar per call, which on webgl/webgpu waits for the GPU to finish the
   * step; pass false in a GPU training loop whose inputs you trust (shapes are always checked).
   */
  readonly validate?: boolean;
  /**
   * `auto` (default): the WebAssembly SIMD kernel on tfjs wasm and cpu, tfjs ops on other backends.
   * `ops`: tfjs ops everywhere, for comparison; slower on wasm and cpu.
   */
  readonly implementation?: DistImplementation;
  /**
   * Rows that count (SPEC "Row masks"): 1 where a row counts, 0 where it is ignored, one per row:
   * [B] for [B, C] logits, [N, H, W] for [N, H, W, C] logits (a tensor, or an array; `maskFromLabels`
   * from @dist-kd/core makes one from labels with an ignore index). The loss is that of the kept rows
   * alone and their gradient is exactly 0 on ignored rows; with no kept row the loss is 0. It is read
   * on the host (B numbers) to pick the rows.
   */
  readonly mask?: tf.Tensor | ArrayLike<number>;
}

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
  const { validate = true, implementation = 'auto', mask, ...distOptions } = options ?? {};
  const resolved = resolveOptions(distOptions);
  checkTauRange(resolved, 'float32');
  checkImplementation(implementation);
  checkLogitTensors(teacherLogits, studentLogits);
  if (mask === undefined && studentLogits.rank === 2) {
    return fusedDistLoss(teacherLogits as tf.Tensor2D, studentLogits as tf.Tensor2D, resolved, validate, implementation);
  }
  return tf.tidy(() => {
    // Dense logits are rows in NHWC order (a reshape, which tfjs differentiates), and a masked call
    // is the call on the kept rows (a gather, whose gradient is scattered back: zero on ignored rows).
    const classes = studentLogits.shape[studentLogits.rank - 1];
    const student = tf.reshape(studentLogits, [-1, classes]) as tf.Tensor2D;
    const teacher = tf.reshape(teacherLogits, [-1, classes]) as tf.Tensor2D;
    if (mask === undefined) return fusedDistLoss(teacher, student, resolved, validate, implementation);
    const kept = keptRowIndices(maskValues(mask, studentLogits.shape.slice(0, -1)), student.shape[0]);
    if (kept.length === 0) return nothingKept(student);
    if (kept.length === student.shape[0]) return fusedDistLoss(teacher, student, resolved, validate, implementation);
    const rows = tf.tensor2d(kept, [kept.length, 1], 'int32');
    return fusedDistLoss(tf.gatherND(teacher, rows) as tf.Tensor2D, student, resolved, validate, implementation, rows);
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

/**
 * A `(yTrue, yPred) => loss` function for `model.compile({ loss })`, whose targets are the teacher's
 * logits and whose model outputs the student's logits.
 */
export function distLossFunction(options: DistLossOptions = {}): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar {
  const { validate: _validate, implementation = 'auto', mask: _mask, ...distOptions } = options;
  checkTauRange(resolveOptions(distOptions), 'float32');
  checkImplementation(implementation);
  return (yTrue, yPred) => distLoss(yTrue, yPred, options);
}

function checkImplementation(implementation: unknown): void {
  if (!DIST_IMPLEMENTATIONS.includes(implementation as DistImplementation)) {
    throw new DistInputError(
      'BAD_OPTION',
      `implementation must be one of ${DIST_IMPLEMENTATIONS.join(', ')}, got ${JSON.stringify(implementation)}`,
    );
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
  validate: boolean,
  implementation: DistImplementation,
  rows?: tf.Tensor2D,
): tf.Scalar {
  // The teacher is closed over rather than passed in, so tfjs records no gradient path to it.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [all, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const s = rows ? (tf.gatherND(all, rows) as tf.Tensor2D) : all;
    const pass = distPass(s, teacher, options, { implementation });
    // Checked before `save`: what the forward made is still inside tfjs's scope for this op, so
    // throwing here frees it, even under a gradient tape.
    const probe = pass.lossFlagsBadInput ? pass.loss : finiteProbe(pass.loss, teacher, s);
    if (validate && !Number.isFinite(readScalar(probe))) {
      explainNonFinite(teacher, s, options);
    }
    // The row indices are saved too: the tape keeps them alive until the backward.
    save(rows ? [...pass.saved, rows] : pass.saved);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      if (!rows) return pass.backward(saved, dy);
      const indices = saved[saved.length - 1];
      return tf.scatterND(indices, pass.backward(saved.slice(0, -1), dy), all.shape);
    };
    return { value: pass.loss, gradFunc };
  });
  return op(student) as tf.Scalar;
}

function readScalar(probe: tf.Tensor): number {
  try {
    return probe.dataSync()[0];
  } catch (error) {
    throw new BackendRuntimeError(
      `tfjs-${tf.getBackend()}`,
      `distLoss could not read its finiteness check synchronously (${(error as Error).message}); ` +
        'pass { validate: false } and check the loss with await loss.data()',
      { cause: error },
    );
  }
}

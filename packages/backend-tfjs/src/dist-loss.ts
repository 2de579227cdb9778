/**
 * The DIST loss as a tfjs op: a scalar tensor whose gradient is SPEC.md's analytic one, registered
 * with `tf.customGrad`, so it works inside `optimizer.minimize`, `tf.grad`, `tf.variableGrads` and
 * as a `model.compile({ loss })` function. Only the student receives a gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendRuntimeError, checkTauRange, DistInputError, resolveOptions, type DistOptions } from '@dist-kd/core';
import { DIST_IMPLEMENTATIONS, distPass, type DistImplementation } from './dist-pass.js';
import { checkLogitTensors, explainNonFinite, finiteProbe } from './tensor-checks.js';

export interface DistLossOptions extends Partial<DistOptions> {
  /**
   * Check that the logits and the loss are finite, throwing `DistInputError` (`NON_FINITE`,
   * `DEGENERATE`) instead of returning NaN. Default true. It costs a min over each input and one
   * synchronous read of a scalar per call, which on webgl/webgpu waits for the GPU to finish the
   * step; pass false in a GPU training loop whose inputs you trust (shapes are always checked).
   * @default true
   */
  readonly validate?: boolean;
  /**
   * `auto` (default): the WebAssembly SIMD kernel on tfjs wasm and cpu, tfjs ops on other backends.
   * `ops`: tfjs ops everywhere, for comparison; slower on wasm and cpu.
   * @default 'auto'
   */
  readonly implementation?: DistImplementation;
}

/**
 * DIST loss in TensorFlow.js's order, labels first: `distLoss(teacherLogits, studentLogits)`.
 * Both are float32 [B, C] logits; returns beta*tau^2*inter + gamma*tau^2*intra as a scalar.
 */
export function distLoss(
  teacherLogits: tf.Tensor,
  studentLogits: tf.Tensor,
  options: DistLossOptions = {},
): tf.Scalar {
  rejectWeightsTensor(options);
  const { validate = true, implementation = 'auto', ...distOptions } = options ?? {};
  const resolved = resolveOptions(distOptions);
  checkTauRange(resolved, 'float32');
  checkImplementation(implementation);
  checkLogitTensors(teacherLogits, studentLogits);
  return fusedDistLoss(teacherLogits, studentLogits as tf.Tensor2D, resolved, validate, implementation);
}

/**
 * A `(yTrue, yPred) => loss` function for `model.compile({ loss })`, whose targets are the teacher's
 * logits and whose model outputs the student's logits.
 */
export function distLossFunction(options: DistLossOptions = {}): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar {
  const { validate: _validate, implementation = 'auto', ...distOptions } = options;
  checkTauRange(resolveOptions(distOptions), 'float32');
  checkImplementation(implementation);
  return (yTrue, yPred) => distLoss(yTrue, yPred, options);
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

/** The op itself; shapes are known to be right and options resolved. */
function fusedDistLoss(
  teacher: tf.Tensor2D,
  student: tf.Tensor2D,
  options: DistOptions,
  validate: boolean,
  implementation: DistImplementation,
): tf.Scalar {
  // The teacher is closed over rather than passed in, so tfjs records no gradient path to it.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [s, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const pass = distPass(s, teacher, options, { implementation });
    // Checked before `save`: what the forward made is still inside tfjs's scope for this op, so
    // throwing here frees it, even under a gradient tape.
    const probe = pass.lossFlagsBadInput ? pass.loss : finiteProbe(pass.loss, teacher, s);
    if (validate && !Number.isFinite(readScalar(probe))) {
      explainNonFinite(teacher, s, options);
    }
    save(pass.saved);
    return { value: pass.loss, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => pass.backward(saved, dy) };
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

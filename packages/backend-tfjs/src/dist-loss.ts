/**
 * The DIST loss as a tfjs op: a scalar tensor whose gradient is SPEC.md's analytic one, registered
 * with `tf.customGrad`, so it works inside `optimizer.minimize`, `tf.grad`, `tf.variableGrads` and
 * as a `model.compile({ loss })` function. Only the student receives a gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendRuntimeError, DistInputError, resolveOptions, type DistOptions } from '@dist-kd/core';
import { DIST_IMPLEMENTATIONS, distPass, type DistImplementation } from './dist-pass.js';
import { deferCheck, throwDeferredFailure } from './deferred-checks.js';
import { HOST_MEMORY_BACKENDS } from './tfjs-platform.js';
import { checkLogitTensors, explainNonFinite, finiteProbe } from './tensor-checks.js';

export interface DistLossOptions extends Partial<DistOptions> {
  /**
   * Check that the logits and the loss are finite, throwing `DistInputError` (`NON_FINITE`,
   * `DEGENERATE`) instead of returning NaN (shapes and dtypes are checked regardless):
   * - `'sync'`: `distLoss` itself throws, after a synchronous read of one scalar;
   * - `'deferred'`: no read that waits for the GPU; the next `distLoss` call (or
   *   `settleDistLossChecks()`) throws once an asynchronous read found the step's input bad;
   * - `true` (default): `'sync'` where tensors are in this process (wasm, cpu, node), `'deferred'` on
   *   GPU backends (webgl, webgpu);
   * - `false`: no check; bad input gives a NaN loss.
   */
  readonly validate?: boolean | 'sync' | 'deferred';
  /**
   * `auto` (default): the `DistKdDist` kernel where one is registered for the active tfjs backend
   * (wasm, cpu, webgl), tfjs ops on other backends. `ops`: tfjs ops everywhere, for comparison.
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
  throwDeferredFailure();
  const { validate = true, implementation = 'auto', ...distOptions } = options ?? {};
  const resolved = resolveOptions(distOptions);
  checkImplementation(implementation);
  checkValidate(validate);
  checkLogitTensors(teacherLogits, studentLogits);
  return fusedDistLoss(teacherLogits, studentLogits as tf.Tensor2D, resolved, validate, implementation);
}

/**
 * A `(yTrue, yPred) => loss` function for `model.compile({ loss })`, whose targets are the teacher's
 * logits and whose model outputs the student's logits.
 */
export function distLossFunction(options: DistLossOptions = {}): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar {
  const { validate = true, implementation = 'auto', ...distOptions } = options;
  resolveOptions(distOptions);
  checkImplementation(implementation);
  checkValidate(validate);
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

const VALIDATE_CHOICES: readonly unknown[] = [true, false, 'sync', 'deferred'];

function checkValidate(validate: unknown): void {
  if (!VALIDATE_CHOICES.includes(validate)) {
    throw new DistInputError('BAD_OPTION', `validate must be true, false, 'sync' or 'deferred', got ${JSON.stringify(validate)}`);
  }
}

function validationMode(validate: boolean | 'sync' | 'deferred'): 'sync' | 'deferred' | 'none' {
  if (validate === false) return 'none';
  if (validate === true) return HOST_MEMORY_BACKENDS.has(tf.getBackend()) ? 'sync' : 'deferred';
  return validate;
}

/** The op itself; shapes are known to be right and options resolved. */
function fusedDistLoss(
  teacher: tf.Tensor2D,
  student: tf.Tensor2D,
  options: DistOptions,
  validate: boolean | 'sync' | 'deferred',
  implementation: DistImplementation,
): tf.Scalar {
  const mode = validationMode(validate);
  // The teacher is closed over rather than passed in, so tfjs records no gradient path to it.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [s, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const pass = distPass(s, teacher, options, { implementation });
    // Checked before `save`: what the forward made is still inside tfjs's scope for this op, so
    // throwing here frees it, even under a gradient tape.
    if (mode !== 'none') {
      const probe = pass.lossFlagsBadInput ? pass.loss : finiteProbe(pass.loss, teacher, s);
      if (mode === 'deferred') deferCheck(probe, teacher, s, options);
      else if (!Number.isFinite(readScalar(probe))) explainNonFinite(teacher, s, options);
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
        "pass { validate: 'deferred' } (checked when an asynchronous read settles) or { validate: false }",
      { cause: error },
    );
  }
}

/**
 * The DIST loss as a tfjs op: a scalar tensor whose gradient is SPEC.md's analytic one, registered
 * with `tf.customGrad`, so it works inside `optimizer.minimize`, `tf.grad`, `tf.variableGrads` and
 * as a `model.compile({ loss })` function. Only the student receives a gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendRuntimeError, checkTauRange, DistInputError, resolveOptions, type DistOptions } from '@dist-kd/core';
import { DIST_IMPLEMENTATIONS, distPass, type DistImplementation } from './dist-pass.js';
import { checkLogitTensors, explainedOnRead, explainNonFinite, finiteProbe } from './tensor-checks.js';

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
}

export type DistValidation = boolean | 'sync';

/** tfjs backends whose tensors are not in this process's memory: a read there waits for the device. */
const DEVICE_BACKENDS: readonly string[] = ['webgpu', 'webgl'];

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
  checkValidation(validate);
  checkLogitTensors(teacherLogits, studentLogits);
  const student = studentLogits as tf.Tensor2D;
  const mode = validationMode(validate);
  const loss = fusedDistLoss(teacherLogits, student, resolved, mode, implementation);
  return mode === 'on-read' ? explainedOnRead(loss, teacherLogits, student, resolved) : loss;
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

/**
 * A `(yTrue, yPred) => loss` function for `model.compile({ loss })`, whose targets are the teacher's
 * logits and whose model outputs the student's logits.
 */
export function distLossFunction(options: DistLossOptions = {}): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar {
  const { validate = true, implementation = 'auto', ...distOptions } = options;
  checkTauRange(resolveOptions(distOptions), 'float32');
  checkImplementation(implementation);
  checkValidation(validate);
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

function checkValidation(validate: unknown): void {
  if (validate !== true && validate !== false && validate !== 'sync') {
    throw new DistInputError('BAD_OPTION', `validate must be true, false or 'sync', got ${JSON.stringify(validate)}`);
  }
}

/** The op itself; shapes are known to be right and options resolved. */
function fusedDistLoss(
  teacher: tf.Tensor2D,
  student: tf.Tensor2D,
  options: DistOptions,
  mode: 'in-op' | 'on-read' | 'off',
  implementation: DistImplementation,
): tf.Scalar {
  // The teacher is closed over rather than passed in, so tfjs records no gradient path to it.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [s, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const pass = distPass(s, teacher, options, { implementation });
    // A loss that is NaN for every bad logit: the kernels' is; the ops' absorbs -Infinity.
    const value = mode === 'off' || pass.lossFlagsBadInput ? pass.loss : finiteProbe(pass.loss, teacher, s);
    // Checked before `save`: what the forward made is still inside tfjs's scope for this op, so
    // throwing here frees it, even under a gradient tape.
    if (mode === 'in-op' && !Number.isFinite(readScalar(value))) {
      explainNonFinite(teacher, s, options);
    }
    save(pass.saved);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => pass.backward(saved, dy) };
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
        "use validate: true, which checks when the loss is read, instead of 'sync'",
      { cause: error },
    );
  }
}

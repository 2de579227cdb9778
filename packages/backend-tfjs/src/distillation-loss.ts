/**
 * The objective DIST is trained with: cross-entropy on the true labels plus the weighted DIST term
 * (the paper's ImageNet and CIFAR-100 settings use weight 2 with beta = gamma = 1; see core's PRESETS).
 */
import * as tf from '@tensorflow/tfjs';
import { DistInputError, resolveOptions } from '@dist-kd/core';
import { distLoss, validationMode, type DistLossOptions } from './dist-loss.js';
import { explainedOnRead } from './tensor-checks.js';

export interface DistillationLossInputs {
  /** Class indices [B] (int32) or one-hot / soft labels [B, C]. */
  readonly labels: tf.Tensor;
  /** [B, C] logits of the model being trained. */
  readonly studentLogits: tf.Tensor;
  /** [B, C] logits of the teacher; it receives no gradient. */
  readonly teacherLogits: tf.Tensor;
  /**
   * Weight of the DIST term.
   * @default 1
   */
  readonly weight?: number;
  /** DIST options (beta, gamma, tau, eps, epsMode, validate). */
  readonly options?: DistLossOptions;
}

/** mean softmax cross-entropy(labels, studentLogits) + weight * distLoss(teacherLogits, studentLogits). */
export function distillationLoss(inputs: DistillationLossInputs): tf.Scalar {
  const { labels, studentLogits, teacherLogits, weight = 1, options } = inputs;
  checkWeight(weight);
  const total = tf.tidy(() => {
    const dist = distLoss(teacherLogits, studentLogits, options);
    // Class indices are read to be checked only where the op may read (host backends, or 'sync'):
    // on GPU backends a read inside the step is the stall the default validation avoids.
    const targets = oneHotTargets(labels, studentLogits, validationMode(options?.validate ?? true) === 'in-op');
    const crossEntropy = tf.losses.softmaxCrossEntropy(targets, studentLogits);
    return tf.add(crossEntropy, tf.mul(dist, weight)) as tf.Scalar;
  });
  // On GPU backends DIST's NaN for bad input reaches the total; its reads explain it as distLoss's do.
  const { validate = true, implementation: _implementation, ...distOptions } = options ?? {};
  if (validationMode(validate) !== 'on-read') return total;
  return explainedOnRead(total, teacherLogits as tf.Tensor2D, studentLogits as tf.Tensor2D, resolveOptions(distOptions));
}

/** The DIST term's weight: a finite number >= 0 (BAD_OPTION otherwise). */
export function checkWeight(weight: unknown): void {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
    throw new DistInputError('BAD_OPTION', `weight must be a finite number >= 0, got ${String(weight)}`);
  }
}

/** The labels as [B, C] rows for softmax cross-entropy: class indices [B] one-hot, [B, C] labels as they are. */
export function oneHotTargets(labels: tf.Tensor, studentLogits: tf.Tensor, checkIndices: boolean): tf.Tensor {
  if (!(labels instanceof tf.Tensor)) {
    throw new DistInputError('BAD_INPUT_TYPE', 'labels must be a tf.Tensor of class indices [B] or one-hot labels [B, C]');
  }
  const [batch, classes] = studentLogits.shape;
  if (labels.rank === 1 && labels.shape[0] === batch) {
    if (checkIndices) checkClassIndices(labels, classes);
    return tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, classes);
  }
  if (labels.rank === 2 && labels.shape[0] === batch && labels.shape[1] === classes) return labels;
  throw new DistInputError(
    'SHAPE_MISMATCH',
    `labels are [${labels.shape.join(', ')}]; expected class indices [${batch}] or one-hot labels [${batch}, ${classes}]`,
  );
}

/**
 * Class indices must be integers in [0, C): tf.oneHot gives an all-zero row (cross-entropy 0) for
 * one outside, and the int32 cast truncates 0.9 and 1.6. Reads the B labels (a synchronous read of
 * B numbers; only where distLoss reads inside the op: host backends, or `validate: 'sync'`).
 */
function checkClassIndices(labels: tf.Tensor, classes: number): void {
  const values = labels.dataSync();
  for (let i = 0; i < values.length; i++) {
    const label = values[i];
    if (!(Number.isInteger(label) && label >= 0 && label < classes)) {
      throw new DistInputError(
        'BAD_LABEL',
        `labels[${i}] = ${label} is not a class index: class indices are integers in [0, ${classes}) for C = ${classes} classes`,
      );
    }
  }
}

import * as tf from '@tensorflow/tfjs';

/** One training batch: pixels, one-hot labels and, for distillation, the teacher's logits. */
export interface Batch {
  readonly images: tf.Tensor2D;
  readonly oneHotLabels: tf.Tensor2D;
  readonly teacherLogits?: tf.Tensor2D;
}

/** A training objective: the scalar to minimise for a batch, given the model's logits on it. */
export type Objective = (batch: Batch, logits: tf.Tensor2D) => tf.Scalar;

/** Mean softmax cross-entropy against the true labels. */
export const crossEntropy: Objective = (batch, logits) =>
  tf.losses.softmaxCrossEntropy(batch.oneHotLabels, logits) as tf.Scalar;

/**
 * Hinton et al. 2015 ("Distilling the Knowledge in a Neural Network"): the batch mean of
 * KL(softmax(teacher / T) || softmax(student / T)), times T^2 so that its gradients keep the same
 * scale as the cross-entropy's when T changes.
 */
export function hintonKd(teacherLogits: tf.Tensor2D, studentLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const teacherLogProbs = tf.logSoftmax(tf.div(teacherLogits, temperature));
    const studentLogProbs = tf.logSoftmax(tf.div(studentLogits, temperature));
    const perSample = tf.sum(tf.mul(tf.exp(teacherLogProbs), tf.sub(teacherLogProbs, studentLogProbs)), 1);
    return tf.mul(tf.mean(perSample), temperature * temperature) as tf.Scalar;
  });
}

/** Cross-entropy plus `weight` times an extra distillation term computed from the teacher's logits. */
export function withDistillation(
  weight: number,
  term: (teacherLogits: tf.Tensor2D, studentLogits: tf.Tensor2D) => tf.Scalar,
): Objective {
  return (batch, logits) => {
    const teacherLogits = teacherLogitsOf(batch);
    return tf.tidy(() => tf.add(crossEntropy(batch, logits), tf.mul(term(teacherLogits, logits), weight)) as tf.Scalar);
  };
}

export function teacherLogitsOf(batch: Batch): tf.Tensor2D {
  if (!batch.teacherLogits) throw new Error('a distillation objective needs the teacher logits of the batch');
  return batch.teacherLogits;
}

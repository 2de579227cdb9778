/**
 * The baseline: the design note's PyTorch code ported line by line to tfjs ops, its gradient left to
 * `tf.grad`. This is the port a user would otherwise write; the bench compares the fused loss with it.
 * It is deliberately not optimised.
 */
import * as tf from '@tensorflow/tfjs';
import { epsPlacement, termWeights, type DistOptions } from '@dist-kd/core';

export interface NaiveDistTerms {
  readonly loss: tf.Scalar;
  readonly inter: tf.Scalar;
  readonly intra: tf.Scalar;
}

export function naiveDist(student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions): NaiveDistTerms {
  const { tau } = options;
  const { eps, epsInside: inside } = epsPlacement(options);
  const pearson = (x: tf.Tensor, y: tf.Tensor) => {
    const xc = tf.sub(x, tf.mean(x, 1, true));
    const yc = tf.sub(y, tf.mean(y, 1, true));
    const num = tf.sum(tf.mul(xc, yc), 1);
    const denom = tf.mul(
      tf.sqrt(tf.add(tf.sum(tf.square(xc), 1), inside)),
      tf.sqrt(tf.add(tf.sum(tf.square(yc), 1), inside)),
    );
    return tf.div(num, tf.add(denom, eps));
  };
  const ys = tf.softmax(tf.div(student, tau));
  const yt = tf.softmax(tf.div(teacher, tau));
  const inter = tf.mean(tf.sub(1, pearson(ys, yt))) as tf.Scalar;
  const intra = tf.mean(tf.sub(1, pearson(tf.transpose(ys), tf.transpose(yt)))) as tf.Scalar;
  const weights = termWeights(options);
  const loss = tf.add(tf.mul(weights.inter, inter), tf.mul(weights.intra, intra)) as tf.Scalar;
  return { loss, inter, intra };
}

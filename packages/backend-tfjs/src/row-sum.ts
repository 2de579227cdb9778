/**
 * Sums over each row of a [B, C] tensor, [B, 1], in two levels for wide rows: a float32 sum of n
 * values (tfjs sums a row in order) carries rounding of up to n units relative to the running total,
 * which at C = 32768 and beyond turns the sums DIST cancels (the softmax's sum of expm1 around -C,
 * the centred products) into percent-level errors. Summing blocks of about sqrt(C) first and then
 * the block sums costs about 2 sqrt(C) units instead. Rows up to `TWO_LEVEL_FROM` classes keep one level.
 */
import * as tf from '@tensorflow/tfjs';

export const TWO_LEVEL_FROM = 4096;

export function rowSum(x: tf.Tensor): tf.Tensor {
  const [batch, classes] = x.shape as [number, number];
  if (classes < TWO_LEVEL_FROM) return tf.sum(x, 1, true);
  const block = 2 ** Math.round(Math.log2(Math.sqrt(classes)));
  const blocks = Math.ceil(classes / block);
  // Zero columns fill the last block when C does not divide evenly; they add nothing.
  const padded = blocks * block === classes ? x : tf.pad(x, [[0, 0], [0, blocks * block - classes]]);
  const partial = tf.sum(tf.reshape(padded, [batch, blocks, block]), 2);
  return tf.sum(partial, 1, true);
}

/**
 * Mean over the rows of a [B, C] tensor, [1, C], as an average pool over the batch.
 *
 * Why a pool: `tf.mean(x, 0)` transposes x first; an average pool with the classes as channels reads
 * x once and is vectorised (on wasm ~3x faster than x^T times a column of ones, the fastest matMul
 * layout, and ~40x faster than the transpose).
 *
 * Why at most `MAX_POOL_CHANNELS` channels per pool: tfjs-backend-wasm runs the pool with XNNPACK,
 * whose multipass pooling kernels (a window of 8 or more rows) take a scratch buffer of one float per
 * channel from the stack (`XNN_SIMD_ALLOCA`). The wasm build's stack is about 64 KiB (a [32, C] pool
 * passes at C = 16,300 and fails at 16,350) and nothing guards its end, so wider buffers run into the
 * heap: `memory access out of bounds`, and every later call fails on the corrupted heap. Wider rows
 * are folded into the pool's width instead: [1, B, 1, C] becomes [1, B, k, C/k] (the same memory, no
 * copy), pooled over B into [1, 1, k, C/k], which read in order is the [1, C] mean.
 */
import * as tf from '@tensorflow/tfjs';

/** Half the channel count that overflows the stack, leaving room for the frames below the kernel. */
export const MAX_POOL_CHANNELS = 8192;

export function columnMean(x: tf.Tensor): tf.Tensor {
  const [batch, classes] = x.shape as [number, number];
  const groups = Math.ceil(classes / MAX_POOL_CHANNELS);
  const channels = Math.ceil(classes / groups);
  const padded = groups * channels;
  // Zero columns fill the last group when C does not divide evenly; their means are dropped below.
  const input = padded === classes ? x : tf.pad(x, [[0, 0], [0, padded - classes]]);
  const grid = tf.reshape(input, [1, batch, groups, channels]) as tf.Tensor4D;
  const pooled = tf.reshape(tf.avgPool(grid, [batch, 1], [batch, 1], 'valid'), [1, padded]);
  return padded === classes ? pooled : tf.slice(pooled, [0, 0], [1, classes]);
}

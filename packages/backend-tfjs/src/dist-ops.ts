/**
 * DIST's forward pass and its analytic gradient (SPEC.md) as whole-tensor tfjs ops: the path on the
 * tfjs backends the SIMD kernel does not serve (webgl, webgpu, node), and `implementation: 'ops'` on
 * wasm and cpu. The ops are chosen for what runs fast on GPUs and on tfjs-backend-wasm (XNNPACK):
 * - no transposes and no reductions over axis 0 (both transpose on wasm): column sums are average
 *   pools (`column-mean.ts`, which also keeps wasm's pools narrow enough for its stack);
 * - expm1 through `elu`, vectorised on wasm where `tf.expm1` and `tf.exp` are scalar loops (~10x);
 * - square roots and divisions only on [B] and [C] vectors;
 * - the backward is ten [B, C] ops, no autodiff.
 */
import * as tf from '@tensorflow/tfjs';
import { epsPlacement, termWeights, type DistOptions } from '@dist-kd/core';
import type { DistPass } from './dist-pass.js';
import { rowSum, TWO_LEVEL_FROM } from './row-sum.js';
import { correlationStatistics, type CorrelationSums, type SoftmaxParts } from './statistics.js';

/** What the backward pass needs from the forward one. */
export interface DistSaved {
  /**
   * What the activation's backward multiplies by, [B, C]: the student's softmax p (exact to float32
   * relative precision even where tiny), or for sigmoid p * (1 - p).
   */
  readonly p: tf.Tensor;
  /** p and q centred over each row, [B, C] (for softmax p - 1/C and q - 1/C). */
  readonly pc: tf.Tensor;
  readonly qc: tf.Tensor;
  /** The same, centred over each column too, [B, C]. */
  readonly pcc: tf.Tensor;
  readonly qcc: tf.Tensor;
  /** dcorr/dx = u * yc - v * xc for each row ([B, 1]) and each column ([1, C]). */
  readonly rowU: tf.Tensor;
  readonly rowV: tf.Tensor;
  readonly colU: tf.Tensor;
  readonly colV: tf.Tensor;
}

interface DistForward {
  /** beta*tau^2*inter + gamma*tau^2*intra, a scalar. */
  readonly loss: tf.Tensor;
  /** Unscaled mean of 1 - corr over rows and over columns. */
  readonly inter: tf.Tensor;
  readonly intra: tf.Tensor;
  readonly saved: DistSaved;
}

const SAVED_ORDER = ['p', 'pc', 'qc', 'pcc', 'qcc', 'rowU', 'rowV', 'colU', 'colV'] as const;

/** The forward in ops; `saved` lists the tensors `backward` reads back, in a fixed order. */
export function opsPass(student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions): DistPass {
  const { loss, inter, intra, saved } = distForward(student, teacher, options);
  return {
    loss,
    inter,
    intra,
    lossFlagsBadInput: false,
    saved: SAVED_ORDER.map((key) => saved[key]),
    backward: (tensors, upstream = 1) => {
      const unpacked = Object.fromEntries(SAVED_ORDER.map((key, i) => [key, tensors[i]])) as unknown as DistSaved;
      return distBackward(unpacked, options, upstream);
    },
  };
}

/** Forward pass in tfjs ops. */
function distForward(student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions): DistForward {
  const { tau } = options;
  const parts = options.activation === 'sigmoid' ? sigmoidParts : softmaxParts;
  const studentSoftmax = parts(student, tau);
  const teacherSoftmax = parts(teacher, tau);
  const { centred: pc } = studentSoftmax;
  const qc = teacherSoftmax.centred;
  const p = options.activation === 'sigmoid' ? sigmoidDerivative(student, tau) : studentSoftmax.p;
  const { rows: rowSums, cols: colSums, pcc, qcc } = correlationStatistics(studentSoftmax, teacherSoftmax);
  const rows = correlation(rowSums, options);
  const cols = correlation(colSums, options);

  const inter = tf.sub(1, tf.mean(rows.r));
  const intra = tf.sub(1, tf.mean(cols.r));
  const weights = termWeights(options);
  const loss = tf.add(tf.mul(inter, weights.inter), tf.mul(intra, weights.intra));
  return {
    loss,
    inter,
    intra,
    saved: { p, pc, qc, pcc, qcc, rowU: rows.u, rowV: rows.v, colU: cols.u, colV: cols.v },
  };
}

/**
 * dloss/dstudent times `upstream` (a scalar: 1, or the gradient flowing into the loss):
 * G = dloss/dp = -(beta*tau^2/B) * drow/dp - (gamma*tau^2/C) * dcol/dp (the weights from
 * `termWeights`), then the softmax backward (1/tau) * p * (G - sum_k p_k G_k) per row, or the sigmoid
 * backward (1/tau) * p * (1 - p) * G. 1/tau and `upstream` are folded into the [B]/[C] coefficient
 * vectors so that the [B, C] work is seven products and sums plus the activation's backward.
 * `batch` is the row count of the inter term's mean: these rows' own, or the whole batch's when they
 * are one shard of it (`shard-ops.ts`).
 */
export function distBackward(
  saved: DistSaved,
  options: DistOptions,
  upstream: tf.Tensor | number = 1,
  batch: number = saved.p.shape[0],
): tf.Tensor {
  const [, classes] = saved.p.shape;
  const weights = termWeights(options);
  const rowScale = tf.mul(upstream, weights.inter / options.tau / batch);
  const colScale = tf.mul(upstream, weights.intra / options.tau / classes);
  // dcorr/dx = u*yc - v*xc and the loss holds -corr, so yc gets -u and xc gets +v.
  const g = tf.addN([
    tf.mul(saved.qc, tf.neg(tf.mul(saved.rowU, rowScale))),
    tf.mul(saved.pc, tf.mul(saved.rowV, rowScale)),
    tf.mul(saved.qcc, tf.neg(tf.mul(saved.colU, colScale))),
    tf.mul(saved.pcc, tf.mul(saved.colV, colScale)),
  ]);
  if (options.activation === 'sigmoid') return tf.mul(saved.p, g);
  const projection = rowSum(tf.mul(saved.p, g));
  return tf.mul(saved.p, tf.sub(g, projection));
}

/**
 * softmax(logits / tau) two ways, each precise where the other is not:
 * - `centred` = p - 1/C. With m = expm1((x - max) / tau) and S = C + sum(m), p = (1 + m) / S and
 *   p - 1/C = (m - mean(m)) / S, which keeps the small deviations of a near-uniform row that
 *   p - 1/C would round away. `elu(x)` is expm1(x) for x <= 0 and, unlike `tf.expm1`, vectorised on
 *   wasm (~10x faster).
 * - `p` itself, from `tf.softmax`: exact relative to tiny probabilities (e^-40), which `centred`
 *   turns into -1/C plus rounding noise.
 */
export function softmaxParts(logits: tf.Tensor2D, tau: number): SoftmaxParts {
  const classes = logits.shape[1];
  let shifted: tf.Tensor = tf.sub(logits, tf.max(logits, 1, true));
  if (tau !== 1) shifted = tf.mul(shifted, 1 / tau);
  const expm1 = tf.elu(shifted);
  const sum = rowSum(expm1);
  // S = C + sum(m) cancels on a wide peaked row (sum(m) is near -C, S far smaller): there S is
  // summed from exp = m + 1 itself, positive terms whose float32 sum keeps its relative precision.
  const total = classes >= TWO_LEVEL_FROM ? rowSum(tf.add(expm1, 1)) : tf.add(sum, classes);
  const centred = tf.mul(tf.sub(expm1, tf.div(sum, classes)), tf.reciprocal(total));
  const p = tf.softmax(shifted);
  // Each softmax row's mean is exactly 1/C: p - 1/C is centred over rows and a column form at once.
  return { p, centred, columnForm: centred, centre: 1 / classes };
}

/**
 * sigmoid(logits / tau) in the same forms: `p` from `tf.sigmoid` (relative precision down to tiny
 * values), p - 1/2 = tanh(z / 2) / 2 as the column form (precise for the small deviations of
 * near-1/2 values, which p - 1/2 would round away), and that centred over the row, whose mean, unlike
 * a softmax row's, is not known in advance.
 */
export function sigmoidParts(logits: tf.Tensor2D, tau: number): SoftmaxParts {
  const z = tau === 1 ? logits : tf.mul(logits, 1 / tau);
  const half = tf.mul(tf.tanh(tf.mul(z, 0.5)), 0.5);
  return { p: tf.sigmoid(z), centred: tf.sub(half, tf.mean(half, 1, true)), columnForm: half, centre: 0.5 };
}

/** p * (1 - p) of sigmoid(logits / tau), with 1 - p as sigmoid(-z): precise where p is near 1. */
export function sigmoidDerivative(logits: tf.Tensor2D, tau: number): tf.Tensor {
  const z = tau === 1 ? logits : tf.mul(logits, 1 / tau);
  return tf.mul(tf.sigmoid(z), tf.sigmoid(tf.neg(z)));
}


export interface CorrelationTerms {
  /** corr for each vector */
  readonly r: tf.Tensor;
  /** 1 / D and r * b / (a * D): dcorr/dx_k = u * yc_k - v * xc_k (SPEC.md). */
  readonly u: tf.Tensor;
  readonly v: tf.Tensor;
}

/**
 * corr = Sxy / (a*b + eps) with a = sqrt(Sxx + e), b = sqrt(Syy + e), where e = eps in the design
 * note's placement and 0 in the official one. When a = 0 (only possible with e = 0) every xc is 0
 * and the v term's limit is 0, which `divNoNan` gives.
 */
export function correlation({ xy: sxy, xx: sxx, yy: syy }: CorrelationSums, options: DistOptions): CorrelationTerms {
  const { eps, epsInside: inside } = epsPlacement(options);
  const a = tf.sqrt(inside === 0 ? sxx : tf.add(sxx, inside));
  const b = tf.sqrt(inside === 0 ? syy : tf.add(syy, inside));
  const u = tf.reciprocal(tf.add(tf.mul(a, b), eps));
  const r = tf.mul(sxy, u);
  // a > 0 whenever eps > 0 sits inside the root; only otherwise can b / a be 0/0 or x/0.
  const ratio = inside > 0 ? tf.div(b, a) : tf.divNoNan(b, a);
  const v = tf.mul(tf.mul(r, u), ratio);
  return { r, u, v };
}

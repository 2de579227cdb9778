/**
 * The size of the terms the DIST gradient is a difference of (SPEC.md's closed form, each part in
 * absolute value). Rounding in a backend's gradient arithmetic is relative to these, not to the
 * result, which cancellation can make far smaller (2-element vectors, near-identical inputs).
 */
import { correlation, termWeights, type DistOptions, type Shape } from '@dist-kd/core';

export interface GradientTermScale {
  /** The largest term the gradient is a difference of (see `gradientTermScale`). */
  readonly largest: number;
  /**
   * The largest factor the activation's backward multiplies G by: max p for softmax, max p * (1 - p)
   * for sigmoid. Every gradient element carries it, so rounding of G costs the gradient no more.
   */
  readonly activationFactor: number;
}

/**
 * With Gs the sizes of G's row and column parts, the softmax backward p_j * (G_j - sum_k p_k G_k)
 * equals p_j * sum_{k != j} p_k (G_j - G_k), whose terms are bounded by
 * p_j * ((1 - 2 p_j) Gs_j + sum_k p_k Gs_k); the largest of these over elements, divided by tau. The
 * sigmoid backward p_j * (1 - p_j) * G_j has the terms p_j * (1 - p_j) * Gs_j / tau.
 */
export function gradientTermScale(student: ArrayLike<number>, teacher: ArrayLike<number>, shape: Shape, options: DistOptions): GradientTermScale {
  const [B, C] = shape;
  const { tau } = options;
  const weights = termWeights(options);
  const sigmoid = options.activation === 'sigmoid';
  const p = sigmoid ? sigmoidValues(student, tau) : softmaxRows(student, B, C, tau);
  const q = sigmoid ? sigmoidValues(teacher, tau) : softmaxRows(teacher, B, C, tau);
  const G = new Float64Array(B * C);
  for (let i = 0; i < B; i++) {
    const sizes = termSizes(p.subarray(i * C, (i + 1) * C), q.subarray(i * C, (i + 1) * C), options);
    for (let j = 0; j < C; j++) G[i * C + j] += (Math.abs(weights.inter) / B) * sizes[j];
  }
  for (let j = 0; j < C; j++) {
    const column = (m: Float64Array) => Float64Array.from({ length: B }, (_, i) => m[i * C + j]);
    const sizes = termSizes(column(p), column(q), options);
    for (let i = 0; i < B; i++) G[i * C + j] += (Math.abs(weights.intra) / C) * sizes[i];
  }
  let largest = 0;
  let activationFactor = 0;
  if (sigmoid) {
    for (let k = 0; k < B * C; k++) {
      const factor = p[k] * (1 - p[k]);
      activationFactor = Math.max(activationFactor, factor);
      largest = Math.max(largest, (factor * G[k]) / tau);
    }
    return { largest, activationFactor };
  }
  for (let i = 0; i < B; i++) {
    let weighted = 0;
    for (let j = 0; j < C; j++) weighted += p[i * C + j] * G[i * C + j];
    for (let j = 0; j < C; j++) {
      const pj = p[i * C + j];
      activationFactor = Math.max(activationFactor, pj);
      largest = Math.max(largest, (pj * Math.max(0, (1 - 2 * pj) * G[i * C + j] + weighted)) / tau);
    }
  }
  return { largest, activationFactor };
}

/** sigmoid(logits / tau) of each element. */
function sigmoidValues(logits: ArrayLike<number>, tau: number): Float64Array {
  return Float64Array.from(logits, (v) => 1 / (1 + Math.exp(-v / tau)));
}

/**
 * (|yc_k| + |mean y|) / D + |r| * (b / a) * (|xc_k| + |mean x|) / D for each k: the sizes of the
 * two terms of d corr / dx_k = yc_k / D - r * (b / a) * xc_k / D as a backend rounds them, since a
 * float32 mean is off by about u * |mean|, which leaves that residual in every centred value however
 * small they are. The mean of one value is exact. The ratio is 0 where a = 0 (its limit).
 */
function termSizes(x: Float64Array, y: Float64Array, options: DistOptions): Float64Array {
  const { r, xc, yc, a, b, D } = correlation(x, y, options);
  const ratio = a === 0 ? 0 : b / a;
  const meanX = x.length === 1 ? 0 : Math.abs(mean(x));
  const meanY = y.length === 1 ? 0 : Math.abs(mean(y));
  return Float64Array.from(xc, (xk, k) => (Math.abs(yc[k]) + meanY + Math.abs(r) * ratio * (Math.abs(xk) + meanX)) / D);
}

function mean(values: Float64Array): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** softmax(logits / tau) of each row, row-major. */
function softmaxRows(logits: ArrayLike<number>, B: number, C: number, tau: number): Float64Array {
  const out = new Float64Array(B * C);
  for (let i = 0; i < B; i++) {
    const row = Array.from({ length: C }, (_, j) => logits[i * C + j] / tau);
    // A loop, not Math.max(...row): spreading 130,000 arguments overflows the call stack.
    const shift = row.reduce((largest, v) => (v > largest ? v : largest), -Infinity);
    const exps = row.map((v) => Math.exp(v - shift));
    const total = exps.reduce((sum, v) => sum + v, 0);
    exps.forEach((v, j) => (out[i * C + j] = v / total));
  }
  return out;
}

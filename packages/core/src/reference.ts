/**
 * The float64 reference: SPEC.md's forward and gradient written as plainly as possible, for
 * checking fast backends against. It favours clarity over speed (it copies columns out, say), but
 * it centres with two passes, so near-uniform softmax rows keep their precision.
 */
import { degenerateError } from './errors.js';
import { allocateGradient, validateRequest, type DistInput, type DistRequest, type DistResult } from './input.js';
import { composeLoss, epsPlacement, termWeights } from './numerics.js';
import type { DistOptions } from './options.js';
import { selectRows } from './rows.js';

/**
 * Validates the request, then computes the reference forward (and gradient, if asked). A mask or a
 * dense layout is SPEC's definition itself: the same computation on the kept rows (`selectRows`).
 */
export function referenceDist(request: DistRequest): DistResult {
  const selection = selectRows(request, 'float64');
  if (!selection) return referenceDistValidated(validateRequest(request, 'float64'));
  return selection.restore(selection.rows && referenceDistValidated(validateRequest(selection.rows, 'float64')));
}

/** Pearson correlation of two vectors, with what its gradient needs. */
export interface Correlation {
  /** corr(x, y) */
  r: number;
  /** x - mean(x), y - mean(y) */
  xc: Float64Array;
  yc: Float64Array;
  /** a = sqrt(Sxx + eps_inside), b = sqrt(Syy + eps_inside), D = a*b + eps */
  a: number;
  b: number;
  D: number;
}

/**
 * corr(x, y) = Sxy / (a*b + eps). The design note puts eps inside the square roots as well
 * (a = sqrt(Sxx + eps)); the official code does not (a = sqrt(Sxx)).
 */
export function correlation(x: ArrayLike<number>, y: ArrayLike<number>, options: DistOptions): Correlation {
  const n = x.length;
  const xc = centred(x);
  const yc = centred(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let k = 0; k < n; k++) {
    sxy += xc[k] * yc[k];
    sxx += xc[k] * xc[k];
    syy += yc[k] * yc[k];
  }
  return { ...correlationOfSums(sxy, sxx, syy, options), xc, yc };
}

/** corr, a, b and D from the centred sums (SPEC.md's eps placement); DEGENERATE when D = 0. */
export function correlationOfSums(sxy: number, sxx: number, syy: number, options: DistOptions): { r: number; a: number; b: number; D: number } {
  const { eps, epsInside } = epsPlacement(options);
  // Merged shard statistics can leave a flat column's sum of squares a hair below 0 (-1e-55): a zero.
  const a = Math.sqrt(Math.max(sxx, 0) + epsInside);
  const b = Math.sqrt(Math.max(syy, 0) + epsInside);
  const D = a * b + eps;
  if (D === 0) {
    throw degenerateError();
  }
  return { r: sxy / D, a, b, D };
}

/**
 * d corr / dx_k = yc_k / D - r * (b / a) * xc_k / D (the centring drops out because the centred
 * values sum to zero). When a = 0 every xc_k is 0 and the second term's limit is 0.
 */
export function correlationGradient(c: Correlation): Float64Array {
  const n = c.xc.length;
  const grad = new Float64Array(n);
  const ratio = c.a === 0 ? 0 : c.b / c.a;
  for (let k = 0; k < n; k++) grad[k] = c.yc[k] / c.D - (c.r * ratio * c.xc[k]) / c.D;
  return grad;
}

function centred(v: ArrayLike<number>): Float64Array {
  let sum = 0;
  for (let k = 0; k < v.length; k++) sum += v[k];
  const mean = sum / v.length;
  const out = new Float64Array(v.length);
  for (let k = 0; k < v.length; k++) out[k] = v[k] - mean;
  return out;
}

/**
 * The activation of logits / tau as B rows, and each element's derivative factor for the backward:
 * for softmax the rows themselves (the Jacobian needs p and the row's projection), for sigmoid
 * p * (1 - p), with 1 - p computed as sigmoid(-z) so that it keeps its precision where p is near 1.
 */
export function activateRows(logits: ArrayLike<number>, batch: number, classes: number, options: DistOptions): Float64Array[] {
  if (options.activation === 'softmax') return softmaxRows(logits, batch, classes, options.tau);
  return Array.from({ length: batch }, (_, i) =>
    Float64Array.from({ length: classes }, (_, j) => sigmoid(logits[i * classes + j] / options.tau)),
  );
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Row-wise softmax of logits / tau, as B rows. */
export function softmaxRows(logits: ArrayLike<number>, batch: number, classes: number, tau: number): Float64Array[] {
  const rows: Float64Array[] = [];
  for (let i = 0; i < batch; i++) {
    const row = new Float64Array(classes);
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[i * classes + j] / tau);
    let sum = 0;
    for (let j = 0; j < classes; j++) {
      row[j] = Math.exp(logits[i * classes + j] / tau - max);
      sum += row[j];
    }
    for (let j = 0; j < classes; j++) row[j] /= sum;
    rows.push(row);
  }
  return rows;
}

function column(rows: Float64Array[], j: number): Float64Array {
  return Float64Array.from(rows, (row) => row[j]);
}

export function referenceDistValidated(input: DistInput): DistResult {
  const { batch: B, classes: C, options } = input;
  const { tau } = options;
  const p = activateRows(input.student, B, C, options);
  const q = activateRows(input.teacher, B, C, options);

  const rowCorr = p.map((pi, i) => correlation(pi, q[i], options));
  const colCorr = Array.from({ length: C }, (_, j) => correlation(column(p, j), column(q, j), options));
  const inter = rowCorr.reduce((s, c) => s + (1 - c.r), 0) / B;
  const intra = colCorr.reduce((s, c) => s + (1 - c.r), 0) / C;
  const terms = composeLoss(options, inter, intra);
  if (!input.gradient) return terms;
  const weights = termWeights(options);

  // G[i][j] = dloss/dp[i][j]
  const G = Array.from({ length: B }, () => new Float64Array(C));
  rowCorr.forEach((c, i) => {
    const g = correlationGradient(c);
    for (let j = 0; j < C; j++) G[i][j] -= (weights.inter / B) * g[j];
  });
  colCorr.forEach((c, j) => {
    const g = correlationGradient(c);
    for (let i = 0; i < B; i++) G[i][j] -= (weights.intra / C) * g[i];
  });

  const gradient = allocateGradient(input);
  activationBackward(input.student, p, G, options, gradient);
  return { ...terms, gradient };
}

/**
 * dloss/dstudent into `gradient` from G = dloss/dp, rows of `logits` (B rows of p): sigmoid per
 * element, (1/tau) * p * (1 - p) * G; softmax per row, (1/tau) * p * (G - sum_k p_k G_k).
 */
export function activationBackward(
  logits: ArrayLike<number>,
  p: readonly Float64Array[],
  G: readonly Float64Array[],
  options: DistOptions,
  gradient: Float32Array | Float64Array,
): void {
  const { tau } = options;
  const C = p[0]?.length ?? 0;
  for (let i = 0; i < p.length; i++) {
    if (options.activation === 'sigmoid') {
      for (let j = 0; j < C; j++) gradient[i * C + j] = (p[i][j] * sigmoid(-logits[i * C + j] / tau) * G[i][j]) / tau;
      continue;
    }
    let dot = 0;
    for (let k = 0; k < C; k++) dot += p[i][k] * G[i][k];
    for (let j = 0; j < C; j++) gradient[i * C + j] = (p[i][j] * (G[i][j] - dot)) / tau;
  }
}

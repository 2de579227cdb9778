/**
 * The same forward and analytic backward as `dist-ops.ts`, as plain loops in float64, for tfjs's
 * cpu backend: its tensors are JavaScript arrays already, and every op that broadcasts a [B,1] or
 * [1,C] vector runs an index computation per element there (~100x slower than same-shape ops), so a
 * few passes here beat the op graph by far.
 */
import type { DistOptions } from '@dist-kd/core';

export interface HostForward {
  readonly loss: number;
  readonly inter: number;
  readonly intra: number;
  /** dloss/dstudent times `upstream`, [B, C] row-major. */
  backward(upstream: number): Float32Array;
}

interface Softmax {
  /** p, exact relative to tiny probabilities */
  readonly p: Float64Array;
  /** p - 1/C from expm1, exact for near-uniform rows */
  readonly centred: Float64Array;
}

export function hostForward(
  student: Float32Array,
  teacher: Float32Array,
  batch: number,
  classes: number,
  options: DistOptions,
): HostForward {
  const { beta, gamma, tau } = options;
  const ps = softmax(student, batch, classes, tau);
  const qs = softmax(teacher, batch, classes, tau);
  const { p, centred: pc } = ps;
  const qc = qs.centred;

  const rows = new Correlations(batch, options);
  for (let i = 0, k = 0; i < batch; i++) {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let j = 0; j < classes; j++, k++) {
      xy += pc[k] * qc[k];
      xx += pc[k] * pc[k];
      yy += qc[k] * qc[k];
    }
    rows.set(i, xy, xx, yy);
  }
  const pcc = centreColumns(ps, batch, classes);
  const qcc = centreColumns(qs, batch, classes);
  const xy = new Float64Array(classes);
  const xx = new Float64Array(classes);
  const yy = new Float64Array(classes);
  for (let i = 0, k = 0; i < batch; i++) {
    for (let j = 0; j < classes; j++, k++) {
      xy[j] += pcc[k] * qcc[k];
      xx[j] += pcc[k] * pcc[k];
      yy[j] += qcc[k] * qcc[k];
    }
  }
  const cols = new Correlations(classes, options);
  for (let j = 0; j < classes; j++) cols.set(j, xy[j], xx[j], yy[j]);

  const inter = 1 - rows.meanR();
  const intra = 1 - cols.meanR();
  const scale = tau * tau;
  return {
    loss: beta * scale * inter + gamma * scale * intra,
    inter,
    intra,
    backward(upstream) {
      // As `distBackward`: dcorr/dx = u*yc - v*xc, the loss holds -corr, 1/tau folded in.
      const rowScale = (upstream * beta * tau) / batch;
      const colScale = (upstream * gamma * tau) / classes;
      const gradient = new Float32Array(batch * classes);
      const g = new Float64Array(classes);
      for (let i = 0; i < batch; i++) {
        const base = i * classes;
        const ru = rowScale * rows.u[i];
        const rv = rowScale * rows.v[i];
        let projection = 0;
        for (let j = 0; j < classes; j++) {
          const k = base + j;
          g[j] = rv * pc[k] - ru * qc[k] + colScale * (cols.v[j] * pcc[k] - cols.u[j] * qcc[k]);
          projection += p[k] * g[j];
        }
        for (let j = 0; j < classes; j++) gradient[base + j] = p[base + j] * (g[j] - projection);
      }
      return gradient;
    },
  };
}

/** Pearson terms per vector: corr r, and u, v with dcorr/dx_k = u*yc_k - v*xc_k (SPEC.md). */
class Correlations {
  readonly r: Float64Array;
  readonly u: Float64Array;
  readonly v: Float64Array;
  private readonly inside: number;

  constructor(
    count: number,
    private readonly options: DistOptions,
  ) {
    this.r = new Float64Array(count);
    this.u = new Float64Array(count);
    this.v = new Float64Array(count);
    this.inside = options.epsMode === 'design-note' ? options.eps : 0;
  }

  set(index: number, xy: number, xx: number, yy: number): void {
    const a = Math.sqrt(xx + this.inside);
    const b = Math.sqrt(yy + this.inside);
    // D = 0 (eps = 0, zero variance) makes r NaN, which the callers report as DEGENERATE.
    const u = 1 / (a * b + this.options.eps);
    const r = xy * u;
    this.r[index] = r;
    this.u[index] = u;
    // When a = 0 every xc is 0 and the term's limit is 0.
    this.v[index] = a === 0 ? 0 : (r * u * b) / a;
  }

  meanR(): number {
    let sum = 0;
    for (const r of this.r) sum += r;
    return sum / this.r.length;
  }
}

/** softmax(x / tau) per row, as p and as p - 1/C = (m - mean(m)) / S with m = expm1(x - max). */
function softmax(logits: Float32Array, batch: number, classes: number, tau: number): Softmax {
  const p = new Float64Array(batch * classes);
  const centred = new Float64Array(batch * classes);
  for (let i = 0; i < batch; i++) {
    const base = i * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[base + j]);
    let sumE = 0;
    let sumM = 0;
    for (let j = 0; j < classes; j++) {
      const d = (logits[base + j] - max) / tau;
      const e = Math.exp(d);
      // Below -0.5, e - 1 is exact enough; above, expm1 keeps the small differences.
      const m = d < -0.5 ? e - 1 : Math.expm1(d);
      p[base + j] = e;
      centred[base + j] = m;
      sumE += e;
      sumM += m;
    }
    const meanM = sumM / classes;
    for (let j = 0; j < classes; j++) {
      p[base + j] /= sumE;
      centred[base + j] = (centred[base + j] - meanM) / sumE;
    }
  }
  return { p, centred };
}

/** Columns centred from p where their values are small, from p - 1/C where they sit near 1/C. */
function centreColumns({ p, centred }: Softmax, batch: number, classes: number): Float64Array {
  const meanP = new Float64Array(classes);
  const meanCentred = new Float64Array(classes);
  for (let i = 0, k = 0; i < batch; i++) {
    for (let j = 0; j < classes; j++, k++) {
      meanP[j] += p[k] / batch;
      meanCentred[j] += centred[k] / batch;
    }
  }
  const out = new Float64Array(batch * classes);
  for (let i = 0, k = 0; i < batch; i++) {
    for (let j = 0; j < classes; j++, k++) {
      out[k] = meanCentred[j] < -0.5 / classes ? p[k] - meanP[j] : centred[k] - meanCentred[j];
    }
  }
  return out;
}

/**
 * The sums a Pearson correlation needs, per row and per column of the centred softmax values, in
 * two ways: with tfjs ops, or with two plain loops over the downloaded values (float64 sums) where
 * that is faster (tfjs-cpu).
 */
import * as tf from '@tensorflow/tfjs';

export interface CorrelationSums {
  /** sum x*y, sum x*x, sum y*y: [B, 1] for rows, [1, C] for columns. */
  readonly xy: tf.Tensor;
  readonly xx: tf.Tensor;
  readonly yy: tf.Tensor;
}

/** A softmax in the two forms `dist-math.ts` computes: p, and p - 1/C. */
export interface SoftmaxParts {
  readonly p: tf.Tensor;
  readonly centred: tf.Tensor;
}

export interface Statistics {
  readonly rows: CorrelationSums;
  readonly cols: CorrelationSums;
  /**
   * Student and teacher softmax centred over each column (a second pass, never sum(x^2) - n*mean^2).
   * Each column is centred from the form that holds its values precisely: p where they are small
   * (mean below 1/(2C)), p - 1/C where they sit near 1/C. Both give the same deviations in exact
   * arithmetic; in float32 only one keeps them.
   */
  readonly pcc: tf.Tensor;
  readonly qcc: tf.Tensor;
}

/**
 * tfjs backends where loops over downloaded values beat the ops: tfjs-cpu runs each op as a plain
 * loop with a fresh array, so fusing ten of them into two passes wins. On wasm the ops win (vectorised,
 * and no copies out of wasm memory).
 */
const HOST_BACKENDS = new Set(['cpu']);

/** Row sums come from the row-centred forms; column sums as `Statistics.pcc` says. */
export function correlationStatistics(student: SoftmaxParts, teacher: SoftmaxParts): Statistics {
  return HOST_BACKENDS.has(tf.getBackend()) ? statisticsOnHost(student, teacher) : statisticsByOps(student, teacher);
}

function statisticsByOps(student: SoftmaxParts, teacher: SoftmaxParts): Statistics {
  const { centred: pc } = student;
  const { centred: qc } = teacher;
  const batch = pc.shape[0];
  const rowSum = (x: tf.Tensor) => tf.sum(x, 1, true);
  const rows = { xy: rowSum(tf.mul(pc, qc)), xx: rowSum(tf.square(pc)), yy: rowSum(tf.square(qc)) };
  const pcc = centreColumns(student);
  const qcc = centreColumns(teacher);
  const columnSum = (x: tf.Tensor) => tf.mul(columnMean(x), batch);
  const cols = { xy: columnSum(tf.mul(pcc, qcc)), xx: columnSum(tf.square(pcc)), yy: columnSum(tf.square(qcc)) };
  return { rows, cols, pcc, qcc };
}

function centreColumns({ p, centred }: SoftmaxParts): tf.Tensor {
  const classes = p.shape[1] as number;
  // 1 where a column's values are small, else 0; a blend with exact 0/1 weights selects without the
  // Tile that a broadcast `tf.where` costs (~100x slower on wasm).
  const small = tf.cast(tf.less(columnMean(centred), -0.5 / classes), 'float32');
  const precise = tf.add(tf.mul(p, small), tf.mul(centred, tf.sub(1, small)));
  return tf.sub(precise, columnMean(precise));
}

/**
 * Mean over rows, [1, C]. `tf.mean(x, 0)` transposes x first; an average pool over the batch, with
 * the classes as channels, reads x once and is vectorised (on wasm ~3x faster than x^T times a
 * column of ones, the fastest matMul layout, and ~40x faster than the transpose).
 */
function columnMean(x: tf.Tensor): tf.Tensor {
  const [batch, classes] = x.shape;
  const pooled = tf.avgPool(tf.reshape(x, [1, batch, 1, classes]) as tf.Tensor4D, [batch, 1], [batch, 1], 'valid');
  return tf.reshape(pooled, [1, classes]);
}

function statisticsOnHost(student: SoftmaxParts, teacher: SoftmaxParts): Statistics {
  const [batch, classes] = student.p.shape;
  const pc = student.centred.dataSync() as Float32Array;
  const qc = teacher.centred.dataSync() as Float32Array;
  const rowXY = new Float64Array(batch);
  const rowXX = new Float64Array(batch);
  const rowYY = new Float64Array(batch);
  for (let i = 0, k = 0; i < batch; i++) {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let j = 0; j < classes; j++, k++) {
      xy += pc[k] * qc[k];
      xx += pc[k] * pc[k];
      yy += qc[k] * qc[k];
    }
    rowXY[i] = xy;
    rowXX[i] = xx;
    rowYY[i] = yy;
  }
  const pcc = centreColumnsOnHost(student.p.dataSync() as Float32Array, pc, batch, classes);
  const qcc = centreColumnsOnHost(teacher.p.dataSync() as Float32Array, qc, batch, classes);
  const colXY = new Float64Array(classes);
  const colXX = new Float64Array(classes);
  const colYY = new Float64Array(classes);
  for (let i = 0, k = 0; i < batch; i++) {
    for (let j = 0; j < classes; j++, k++) {
      colXY[j] += pcc[k] * qcc[k];
      colXX[j] += pcc[k] * pcc[k];
      colYY[j] += qcc[k] * qcc[k];
    }
  }
  const row = (values: Float64Array) => tf.tensor2d(Float32Array.from(values), [batch, 1]);
  const column = (values: Float64Array) => tf.tensor2d(Float32Array.from(values), [1, classes]);
  return {
    rows: { xy: row(rowXY), xx: row(rowXX), yy: row(rowYY) },
    cols: { xy: column(colXY), xx: column(colXX), yy: column(colYY) },
    pcc: tf.tensor2d(pcc, [batch, classes]),
    qcc: tf.tensor2d(qcc, [batch, classes]),
  };
}

/** `centreColumns` as loops: column means in float64, each column from its precise form. */
function centreColumnsOnHost(p: Float32Array, centred: Float32Array, batch: number, classes: number): Float32Array {
  const meanP = new Float64Array(classes);
  const meanCentred = new Float64Array(classes);
  for (let i = 0, k = 0; i < batch; i++) {
    for (let j = 0; j < classes; j++, k++) {
      meanP[j] += p[k];
      meanCentred[j] += centred[k];
    }
  }
  const small = Array.from(meanCentred, (sum) => sum / batch < -0.5 / classes);
  const out = new Float32Array(batch * classes);
  for (let i = 0, k = 0; i < batch; i++) {
    for (let j = 0; j < classes; j++, k++) {
      out[k] = small[j] ? p[k] - meanP[j] / batch : centred[k] - meanCentred[j] / batch;
    }
  }
  return out;
}

/** The sums a Pearson correlation needs, per row and per column of the centred softmax values. */
import * as tf from '@tensorflow/tfjs';
import { columnMean } from './column-mean.js';
import { HOST_MEMORY_BACKENDS } from './tfjs-platform.js';

export interface CorrelationSums {
  /** sum x*y, sum x*x, sum y*y: [B, 1] for rows, [1, C] for columns. */
  readonly xy: tf.Tensor;
  readonly xx: tf.Tensor;
  readonly yy: tf.Tensor;
}

/** A softmax in the two forms `dist-ops.ts` computes: p, and p - 1/C. */
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

/** Row sums come from the row-centred forms; column sums as `Statistics.pcc` says. */
export function correlationStatistics(student: SoftmaxParts, teacher: SoftmaxParts): Statistics {
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
  const centredMean = columnMean(centred);
  const small = tf.less(centredMean, -0.5 / classes);
  // Where reading C flags costs nothing (the data is in this process), skip the blend when no column
  // is small, as in near-uniform or balanced, confident batches. (All columns cannot be small: their
  // means average 1/C.)
  if (HOST_MEMORY_BACKENDS.has(tf.getBackend()) && small.dataSync().every((flag) => !flag)) {
    return tf.sub(centred, centredMean);
  }
  // 1 where a column's values are small, else 0; a blend with exact 0/1 weights selects without the
  // Tile that a broadcast `tf.where` costs (~100x slower on wasm).
  const weight = tf.cast(small, 'float32');
  const precise = tf.add(tf.mul(p, weight), tf.mul(centred, tf.sub(1, weight)));
  return tf.sub(precise, columnMean(precise));
}

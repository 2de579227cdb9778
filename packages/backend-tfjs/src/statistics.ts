/** The sums a Pearson correlation needs, per row and per column of the centred softmax values. */
import * as tf from '@tensorflow/tfjs';
import { columnMean } from './column-mean.js';
import { HOST_MEMORY_BACKENDS } from './tfjs-platform.js';
import { rowSum } from './row-sum.js';

export interface CorrelationSums {
  /** sum x*y, sum x*x, sum y*y: [B, 1] for rows, [1, C] for columns. */
  readonly xy: tf.Tensor;
  readonly xx: tf.Tensor;
  readonly yy: tf.Tensor;
}

/** An activation (softmax or sigmoid) in the forms `dist-ops.ts` computes. */
export interface SoftmaxParts {
  readonly p: tf.Tensor;
  /** p centred over each row. */
  readonly centred: tf.Tensor;
  /** p - centre: precise for values near the centre (the same tensor as `centred` for softmax). */
  readonly columnForm: tf.Tensor;
  /** 1/C for softmax, 1/2 for sigmoid. */
  readonly centre: number;
}

export interface Statistics {
  readonly rows: CorrelationSums;
  readonly cols: CorrelationSums;
  /**
   * Student and teacher softmax centred over each column (a second pass, never sum(x^2) - n*mean^2).
   * Each column is centred from the form that holds its values precisely: p where they are small
   * (mean below half the centre: 1/(2C) for softmax), p - centre where they sit near it. Both give the same deviations in exact
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
  const rows = { xy: rowSum(tf.mul(pc, qc)), xx: rowSum(tf.square(pc)), yy: rowSum(tf.square(qc)) };
  const pcc = centreColumns(student);
  const qcc = centreColumns(teacher);
  const columnSum = (x: tf.Tensor) => tf.mul(columnMean(x), batch);
  const cols = { xy: columnSum(tf.mul(pcc, qcc)), xx: columnSum(tf.square(pcc)), yy: columnSum(tf.square(qcc)) };
  return { rows, cols, pcc, qcc };
}

function centreColumns({ p, columnForm, centre }: SoftmaxParts): tf.Tensor {
  const centredMean = columnMean(columnForm);
  const small = tf.less(centredMean, -0.5 * centre);
  // Where reading C flags costs nothing (the data is in this process), skip the blend when no column
  // is small, as in near-uniform or balanced, confident batches.
  if (HOST_MEMORY_BACKENDS.has(tf.getBackend()) && small.dataSync().every((flag) => !flag)) {
    return tf.sub(columnForm, centredMean);
  }
  // 1 where a column's values are small, else 0; a blend with exact 0/1 weights selects without the
  // Tile that a broadcast `tf.where` costs (~100x slower on wasm).
  const weight = tf.cast(small, 'float32');
  const precise = tf.add(tf.mul(p, weight), tf.mul(columnForm, tf.sub(1, weight)));
  return tf.sub(precise, columnMean(precise));
}

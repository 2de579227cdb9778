/**
 * The objective of `distillationLoss` (cross-entropy on the labels plus `weight` times DIST) in
 * `model.fit`. tfjs-layers' fit checks that each target has its output's shape ([B, C] for a
 * student's logits; `standardizeInputData` in its engine/training.js), so one target cannot carry
 * both the labels and the teacher's logits. It does take one target per output, with one loss per
 * output, summed (it ignores `lossWeights`: the weight is inside the DIST loss here). So the
 * student's logits become two outputs of a model that shares the student's layers, one for each
 * term, and `targets` packs the labels and the teacher's logits for them in that order.
 */
import * as tf from '@tensorflow/tfjs';
import { DistInputError } from '@dist-kd/core';
import { distLossFunction, validationMode, type DistLossOptions } from './dist-loss.js';
import { checkWeight, oneHotTargets } from './distillation-loss.js';

export interface DistillationFitSettings {
  /**
   * Weight of the DIST term.
   * @default 1
   */
  readonly weight?: number;
  /** DIST options (beta, gamma, tau, eps, epsMode, validate, ...); not `mask`. */
  readonly options?: DistLossOptions;
}

export type FitLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

export interface DistillationFit {
  /**
   * The student's layers with its logits as two outputs, `distill_cross_entropy` and `distill_dist`
   * (so fit's history has `distill_cross_entropy_loss` and `distill_dist_loss` beside `loss`).
   * Fitting it trains the student; predict and save with the student itself.
   */
  readonly model: tf.LayersModel;
  /** For `model.compile({ loss })`: softmax cross-entropy on the first output, `weight` × DIST on the second. */
  readonly loss: [FitLoss, FitLoss];
  /**
   * The targets for `model.fit` and `model.evaluate`: `[labels as one-hot rows, teacher logits]`,
   * new float32 tensors of the student's shape, yours to dispose. Labels are class indices [B]
   * (integers in [0, C), `BAD_LABEL` otherwise, checked where distillationLoss checks them) or
   * one-hot / soft labels [B, C].
   */
  targets(labels: tf.Tensor, teacherLogits: tf.Tensor): [tf.Tensor2D, tf.Tensor2D];
  /**
   * On GPU backends, waits for the checks of the DIST term's batches and throws the
   * `DistInputError` of a bad one that `fit` had not reported yet (see `distLossFunction`).
   */
  settle(): Promise<void>;
}

const CROSS_ENTROPY_OUTPUT = 'distill_cross_entropy';
const DIST_OUTPUT = 'distill_dist';

/** How far a label row may sum from 1: float32 soft labels (a softmax) are off by a few ulps per class. */
const ROW_SUM_TOLERANCE = 1e-3;

export function distillationFit(student: tf.LayersModel, settings: DistillationFitSettings = {}): DistillationFit {
  const { weight = 1, options = {} } = settings;
  checkWeight(weight);
  if ((options as { mask?: unknown }).mask !== undefined) {
    throw new DistInputError('BAD_OPTION', 'distillationFit takes no mask: fit slices the data into batches, which a [B] mask cannot follow; use distillationLoss in a custom loop');
  }
  // Checks the options once, here, rather than on the first batch.
  const dist = distLossFunction(options);
  const classes = studentClasses(student);
  const logits = student.outputs[0]!;
  const identity = (name: string) => tf.layers.activation({ activation: 'linear', name }).apply(logits) as tf.SymbolicTensor;
  const model = tf.model({ inputs: student.inputs, outputs: [identity(CROSS_ENTROPY_OUTPUT), identity(DIST_OUTPUT)], name: `${student.name}_distillation` });
  const validate = options.validate ?? true;

  const crossEntropy: FitLoss = (yTrue, yPred) =>
    tf.tidy(() => {
      checkPair(yTrue, yPred, 'first', 'the labels');
      const loss = tf.losses.softmaxCrossEntropy(yTrue, yPred) as tf.Scalar;
      const mode = validationMode(validate);
      if (mode === 'off') return loss;
      const minimum = tf.min(yTrue);
      const rowSums = tf.sum(yTrue, 1);
      if (mode === 'in-op') {
        checkLabelRows(minimum.dataSync()[0]!, rowSums.dataSync() as Float32Array);
        return loss;
      }
      // On a GPU backend nothing is read inside a step: a target that is not label rows makes the loss NaN.
      const valid = tf.logicalAnd(tf.greaterEqual(minimum, 0), tf.all(tf.lessEqual(tf.abs(tf.sub(rowSums, 1)), ROW_SUM_TOLERANCE)));
      return tf.where(valid, loss, tf.scalar(Number.NaN)) as tf.Scalar;
    });

  const weightedDist: FitLoss = (yTrue, yPred) =>
    tf.tidy(() => {
      checkPair(yTrue, yPred, 'second', "the teacher's logits");
      return tf.mul(dist(yTrue, yPred), weight) as tf.Scalar;
    });

  return {
    model,
    loss: [crossEntropy, weightedDist],
    settle: () => dist.settle(),
    targets(labels, teacherLogits) {
      if (!(teacherLogits instanceof tf.Tensor) || teacherLogits.rank !== 2 || teacherLogits.shape[1] !== classes) {
        throw new DistInputError(
          'SHAPE_MISMATCH',
          `teacherLogits must be a [B, ${classes}] tensor (the student's output has ${classes} classes), got ${
            teacherLogits instanceof tf.Tensor ? `[${teacherLogits.shape.join(', ')}]` : typeof teacherLogits
          }`,
        );
      }
      return tf.tidy(() => {
        const rows = oneHotTargets(labels, teacherLogits, validationMode(validate) === 'in-op');
        // New tensors either way (clone shares the data), so that disposing the targets leaves the caller's.
        const float32 = (tensor: tf.Tensor) => (tensor.dtype === 'float32' ? tensor.clone() : tf.cast(tensor, 'float32')) as tf.Tensor2D;
        return [float32(rows), float32(teacherLogits)];
      });
    },
  };
}

/** The student's class count: one output of logits [B, C]. */
function studentClasses(student: tf.LayersModel): number {
  if (!(student instanceof tf.LayersModel)) {
    throw new DistInputError('BAD_INPUT_TYPE', 'distillationFit takes the student as a tf.LayersModel (tf.sequential or tf.model)');
  }
  const outputs = student.outputs ?? [];
  if (outputs.length !== 1 || (student.inputs ?? []).length === 0) {
    throw new DistInputError(
      'BAD_SHAPE',
      outputs.length > 1
        ? `the student has ${outputs.length} outputs; distillationFit needs one, its logits [B, C]`
        : 'the student is not built yet: give its first layer an inputShape (or build it) before distillationFit',
    );
  }
  const shape = outputs[0]!.shape;
  const classes = shape[1];
  if (shape.length !== 2 || typeof classes !== 'number' || classes < 1) {
    throw new DistInputError('BAD_SHAPE', `the student's output is [${shape.map((d) => d ?? 'null').join(', ')}]; distillationFit needs logits [B, C] with a known C`);
  }
  return classes;
}

/** Each loss sees its own target: the same shape as the output (fit checks it too, but with a message about tfjs's internals). */
function checkPair(yTrue: tf.Tensor, yPred: tf.Tensor, which: string, what: string): void {
  if (yTrue.rank !== 2 || yTrue.shape[0] !== yPred.shape[0] || yTrue.shape[1] !== yPred.shape[1]) {
    throw new DistInputError(
      'SHAPE_MISMATCH',
      `the ${which} target of distillationFit's model is ${what}, [${yPred.shape.join(', ')}] like its output, got [${yTrue.shape.join(', ')}]: ` +
        'pass targets(labels, teacherLogits) to fit',
    );
  }
}

/** Label rows are probabilities (one-hot or soft) that sum to 1; teacher logits, for one, are not. */
function checkLabelRows(minimum: number, rowSums: Float32Array): void {
  const row = rowSums.findIndex((sum) => !(Math.abs(sum - 1) <= ROW_SUM_TOLERANCE));
  if (minimum >= 0 && row < 0) return;
  const what = row >= 0 ? `row ${row} sums to ${rowSums[row]}` : `it holds ${minimum}`;
  throw new DistInputError(
    'BAD_LABEL',
    `the first target of distillationFit's model is the labels as rows of probabilities (one-hot or soft, each summing to 1), but ${what}: ` +
      'pass targets(labels, teacherLogits) to fit, in that order (were the targets swapped, or not made by targets()?)',
  );
}

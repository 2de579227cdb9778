import type { TrainingSchedule } from './train.js';

export interface NetworkPlan extends TrainingSchedule {
  /** Hidden layer widths of the MLP. */
  readonly hidden: readonly number[];
  /** How many training digits it learns from (drawn from the 60,000 after the validation split). */
  readonly trainSamples: number;
}

export interface ExperimentConfig {
  readonly name: string;
  /** Seeds the split of MNIST's training set into validation / training digits. */
  readonly dataSeed: number;
  /** Held out from MNIST's training set; the training curves are measured on it. */
  readonly validationSamples: number;
  /** How many of MNIST's 10,000 test digits the final accuracies are measured on. */
  readonly testSamples: number;
  readonly teacher: NetworkPlan & { readonly seed: number };
  readonly student: NetworkPlan;
  /** One student per method per seed; a seed fixes the student's initial weights, data subset and batch order. */
  readonly studentSeeds: readonly number[];
  /** Classic KD: CE + weight * T^2 * KL. */
  readonly kd: { readonly temperature: number; readonly weight: number };
  /** DIST: CE + weight * DIST, with the CIFAR-100 preset's options. */
  readonly dist: { readonly weight: number };
}

/**
 * The full run: a 784-400-10 teacher trained on 55,000 digits, students of 784-16-10 (about 25 times
 * fewer weights) trained on 2,000 of those digits only, where the teacher's soft targets carry
 * information the 2,000 labels do not.
 */
export const FULL_CONFIG: ExperimentConfig = {
  name: 'full',
  dataSeed: 2022,
  validationSamples: 5000,
  testSamples: 10000,
  teacher: { hidden: [400], trainSamples: 55000, epochs: 4, batchSize: 256, learningRate: 2e-3, seed: 1 },
  student: { hidden: [16], trainSamples: 2000, epochs: 20, batchSize: 64, learningRate: 2e-3 },
  studentSeeds: [11, 12, 13, 14, 15],
  kd: { temperature: 4, weight: 1 },
  dist: { weight: 2 },
};

/** `--quick`: the same pipeline at a size that runs in about a minute, for CI. */
export const QUICK_CONFIG: ExperimentConfig = {
  ...FULL_CONFIG,
  name: 'quick',
  validationSamples: 1000,
  testSamples: 10000,
  teacher: { ...FULL_CONFIG.teacher, hidden: [128], trainSamples: 10000, epochs: 3 },
  student: { ...FULL_CONFIG.student, trainSamples: 1000, epochs: 8 },
  studentSeeds: [11, 12],
};

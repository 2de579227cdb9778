import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from './config.js';
import { studentMethods, type MethodId } from './methods.js';
import { buildMlp, describeMlp } from './models.js';
import { IMAGE_SIZE, selectSamples, type DigitSet, type Mnist } from './mnist.js';
import type { ProgressReporter } from './progress.js';
import { createRandom, permutation } from './random.js';
import { crossEntropy } from './losses.js';
import { accuracy, disposeTensors, predictLogits, toTensors, train, type EpochRecord } from './train.js';

export interface NetworkSummary {
  readonly architecture: string;
  readonly parameters: number;
}

export interface StudentRun {
  readonly method: MethodId;
  readonly seed: number;
  readonly testAccuracy: number;
  readonly history: readonly EpochRecord[];
}

export interface ExperimentResult {
  readonly config: ExperimentConfig;
  readonly teacher: NetworkSummary & { readonly testAccuracy: number; readonly history: readonly EpochRecord[] };
  readonly student: NetworkSummary;
  readonly methods: readonly { readonly id: MethodId; readonly label: string; readonly formula: string }[];
  readonly runs: readonly StudentRun[];
  readonly seconds: number;
}

/**
 * Trains the teacher once, then for every seed the same student architecture once per method, on the
 * same digits, initial weights and batch order, so the methods differ only in their objective.
 */
export async function runExperiment(config: ExperimentConfig, mnist: Mnist, progress: ProgressReporter): Promise<ExperimentResult> {
  const startedAt = performance.now();
  const methods = studentMethods(config);
  const split = permutation(mnist.train.count, createRandom(config.dataSeed));
  const validationIndices = split.subarray(0, config.validationSamples);
  const trainingPool = split.subarray(config.validationSamples);
  checkSize('teacher.trainSamples', config.teacher.trainSamples, trainingPool.length);
  checkSize('student.trainSamples', config.student.trainSamples, config.teacher.trainSamples);
  checkSize('testSamples', config.testSamples, mnist.test.count);

  const validation = toTensors(selectSamples(mnist.train, validationIndices));
  const test = toTensors(selectSamples(mnist.test, firstIndices(config.testSamples)));
  const teacherPool = trainingPool.subarray(0, config.teacher.trainSamples);

  const teacherModel = buildMlp(config.teacher.hidden, config.teacher.seed);
  const teacherData = toTensors(selectSamples(mnist.train, teacherPool));
  const teacherHistory = await train(
    teacherModel, teacherData, validation, crossEntropy, config.teacher, config.teacher.seed,
    progress(`teacher ${describeMlp(config.teacher.hidden)}`, stepsOf(config.teacher.trainSamples, config.teacher)),
  );
  disposeTensors(teacherData);
  const teacher = {
    ...summarise(teacherModel, config.teacher.hidden),
    testAccuracy: await accuracy(teacherModel, test),
    history: teacherHistory,
  };

  const runs: StudentRun[] = [];
  let student: NetworkSummary | undefined;
  for (const seed of config.studentSeeds) {
    // The student's digits: a subset of the teacher's, a different one for each seed.
    const subset = selectSamples(mnist.train, pick(teacherPool, config.student.trainSamples, seed));
    const data = toTensors(subset, teacherLogitsOf(teacherModel, subset));
    for (const method of methods) {
      const model = buildMlp(config.student.hidden, seed);
      student ??= summarise(model, config.student.hidden);
      const history = await train(
        model, data, validation, method.objective, config.student, seed,
        progress(`student ${method.label.padEnd(9)} seed ${seed}`, stepsOf(config.student.trainSamples, config.student)),
      );
      runs.push({ method: method.id, seed, testAccuracy: await accuracy(model, test), history });
      model.dispose();
    }
    disposeTensors(data);
  }
  teacherModel.dispose();
  disposeTensors(validation);
  disposeTensors(test);
  return {
    config,
    teacher,
    student: student!,
    methods: methods.map(({ id, label, formula }) => ({ id, label, formula })),
    runs,
    seconds: (performance.now() - startedAt) / 1000,
  };
}

function teacherLogitsOf(teacher: tf.LayersModel, set: DigitSet): tf.Tensor2D {
  return tf.tidy(() => predictLogits(teacher, tf.tensor2d(set.images, [set.count, IMAGE_SIZE])));
}

function pick(pool: Int32Array, count: number, seed: number): Int32Array {
  const order = permutation(pool.length, createRandom(seed));
  return order.subarray(0, count).map((position) => pool[position]);
}

function firstIndices(count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => i);
}

function stepsOf(samples: number, schedule: { epochs: number; batchSize: number }): number {
  return Math.ceil(samples / schedule.batchSize) * schedule.epochs;
}

function summarise(model: tf.LayersModel, hidden: readonly number[]): NetworkSummary {
  return { architecture: describeMlp(hidden), parameters: model.countParams() };
}

function checkSize(name: string, value: number, available: number): void {
  if (!Number.isInteger(value) || value < 1 || value > available) {
    throw new RangeError(`${name} must be an integer in [1, ${available}], got ${value}`);
  }
}

import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig, StudentSetup, TeacherPlan } from './config.js';
import { studentMethods, type MethodId, type StudentMethod } from './methods.js';
import { buildMlp, describeMlp } from './models.js';
import { IMAGE_SIZE, selectSamples, type Mnist } from './mnist.js';
import type { ProgressReporter } from './progress.js';
import { createRandom, permutation } from './random.js';
import { crossEntropy } from './losses.js';
import { accuracy, disposeTensors, predictLogits, toTensors, train, type EpochRecord, type TensorSet, type TrainingSchedule } from './train.js';

export interface NetworkSummary {
  readonly architecture: string;
  readonly parameters: number;
}

export type TeacherSummary = NetworkSummary & { readonly testAccuracy: number; readonly history: readonly EpochRecord[] };

export interface StudentRun {
  readonly method: MethodId;
  readonly seed: number;
  readonly testAccuracy: number;
  readonly history: readonly EpochRecord[];
}

export interface ExperimentResult {
  readonly config: ExperimentConfig;
  readonly teacher: TeacherSummary;
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
  const lab = createLab(config, mnist, [config.teacher]);
  const { model: teacherModel, summary: teacher } = await lab.trainTeacher(config.teacher, progress);

  const runs: StudentRun[] = [];
  for (const seed of config.studentSeeds) {
    const data = lab.studentData(seed, teacherModel);
    for (const method of methods) {
      runs.push(await lab.measure(await lab.trainStudent(method, data, seed, config.student, progress)));
    }
    disposeTensors(data);
  }
  teacherModel.dispose();
  lab.dispose();
  return {
    config,
    teacher,
    student: lab.studentSummary(),
    methods: methods.map(({ id, label, formula }) => ({ id, label, formula })),
    runs,
    seconds: (performance.now() - startedAt) / 1000,
  };
}

/** A student that has been trained but not yet measured on the test set. */
export interface TrainedStudent {
  readonly method: MethodId;
  readonly seed: number;
  readonly history: readonly EpochRecord[];
  readonly model: tf.LayersModel;
}

/**
 * The splits and the training steps every experiment is made of. The validation digits are held out
 * of MNIST's training set; every teacher learns from a prefix of the rest, and the student's digits
 * for a seed are drawn from the shortest of those prefixes, so they are a subset of every teacher's.
 * The test set is only read by `testAccuracy`.
 */
export function createLab(setup: StudentSetup, mnist: Mnist, teachers: readonly TeacherPlan[]) {
  const split = permutation(mnist.train.count, createRandom(setup.dataSeed));
  const trainingPool = split.subarray(setup.validationSamples);
  for (const [i, teacher] of teachers.entries()) checkSize(`teachers[${i}].trainSamples`, teacher.trainSamples, trainingPool.length);
  const studentPool = trainingPool.subarray(0, Math.min(...teachers.map((teacher) => teacher.trainSamples)));
  checkSize('student.trainSamples', setup.student.trainSamples, studentPool.length);
  checkSize('testSamples', setup.testSamples, mnist.test.count);

  const validation = toTensors(selectSamples(mnist.train, split.subarray(0, setup.validationSamples)));
  const test = toTensors(selectSamples(mnist.test, firstIndices(setup.testSamples)));
  let student: NetworkSummary | undefined;

  return {
    async trainTeacher(plan: TeacherPlan, progress: ProgressReporter): Promise<{ model: tf.LayersModel; summary: TeacherSummary }> {
      const model = buildMlp(plan.hidden, plan.seed);
      const data = toTensors(selectSamples(mnist.train, trainingPool.subarray(0, plan.trainSamples)));
      const history = await train(
        model, data, validation, crossEntropy, plan, plan.seed,
        progress(`teacher ${describeMlp(plan.hidden)}`, stepsOf(plan.trainSamples, plan)),
      );
      disposeTensors(data);
      return { model, summary: { ...summarise(model, plan.hidden), testAccuracy: await accuracy(model, test), history } };
    },

    /** The student's digits for `seed`, with the teacher's logits on them when there is a teacher. */
    studentData(seed: number, teacher?: tf.LayersModel): TensorSet {
      const subset = selectSamples(mnist.train, pick(studentPool, setup.student.trainSamples, seed));
      const images = tf.tensor2d(subset.images, [subset.count, IMAGE_SIZE]);
      const teacherLogits = teacher ? predictLogits(teacher, images) : undefined;
      images.dispose();
      return toTensors(subset, teacherLogits);
    },

    /**
     * One student: initial weights and batch order from `seed`, so students of one seed differ only
     * in their objective (and, in the sweep's search, their schedule).
     */
    async trainStudent(
      method: StudentMethod,
      data: TensorSet,
      seed: number,
      schedule: TrainingSchedule,
      progress: ProgressReporter,
    ): Promise<TrainedStudent> {
      const model = buildMlp(setup.student.hidden, seed);
      student ??= summarise(model, setup.student.hidden);
      const history = await train(
        model, data, validation, method.objective, schedule, seed,
        progress(`student ${method.label.padEnd(9)} seed ${seed}`, stepsOf(data.count, schedule)),
      );
      return { method: method.id, seed, history, model };
    },

    /** The student's test accuracy, after which its model is disposed. */
    async measure({ method, seed, history, model }: TrainedStudent): Promise<StudentRun> {
      const testAccuracy = await accuracy(model, test);
      model.dispose();
      return { method, seed, testAccuracy, history };
    },

    studentSummary(): NetworkSummary {
      if (!student) throw new Error('no student has been trained yet');
      return student;
    },

    dispose(): void {
      disposeTensors(validation);
      disposeTensors(test);
    },
  };
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

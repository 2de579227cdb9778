/**
 * `pnpm example --data-parallel`: the DIST student of this example trained data-parallel on N Node
 * worker threads, each holding 1/N of every batch, against the same training in one process on
 * whole batches. Two ways to compute DIST on a worker's rows:
 * - `exact`: the workers exchange DIST's statistics (O(C) numbers) over MessagePorts, and each takes
 *   the gradient of the whole batch's loss for its rows (backend-tfjs's `accumulateDistGradients`);
 * - `local`: each computes DIST of its own rows, as the official code does under data parallelism.
 * Both all-reduce the gradients and take the same Adam step on every worker. The report gives, per
 * mode, how far its losses, first gradient and final weights are from the single-process run's.
 */
import * as tf from '@tensorflow/tfjs';
import { Worker, MessageChannel, type MessagePort } from 'node:worker_threads';
import type { StudentSetup, TeacherPlan } from './config.js';
import { disposeBatch, flatWeights, flatten, stepBatch, type ShardMode, type StepRows } from './data-parallel-step.js';
import type { WorkerReport, WorkerStart } from './data-parallel-worker.js';
import { createLab } from './experiment.js';
import { DIST_OPTIONS, distMethod } from './methods.js';
import { IMAGE_SIZE, NUM_CLASSES, type Mnist } from './mnist.js';
import { buildMlp, describeMlp } from './models.js';
import type { ProgressReporter } from './progress.js';
import { createRandom, permutation } from './random.js';
import type { TensorSet } from './train.js';

export interface DataParallelConfig extends StudentSetup {
  readonly teacher: TeacherPlan;
  /** The student's seed: its initial weights, digits and batch order. */
  readonly seed: number;
  readonly workers: number;
  /** Optimizer steps (batches of `student.batchSize` rows). */
  readonly steps: number;
  readonly distWeight: number;
}

/** About 20 s of training on 2 cores: a 784-128-10 teacher, 20 steps of the 784-16-10 student, batch 256 over 2 workers. */
export const DATA_PARALLEL_CONFIG: DataParallelConfig = {
  name: 'data-parallel',
  dataSeed: 2022,
  validationSamples: 1000,
  testSamples: 1000,
  teacher: { hidden: [128], trainSamples: 10000, epochs: 2, batchSize: 256, learningRate: 2e-3, seed: 1 },
  student: { hidden: [16], trainSamples: 2000, epochs: 1, batchSize: 256, learningRate: 2e-3 },
  studentSeeds: [11],
  seed: 11,
  workers: 2,
  steps: 20,
  distWeight: 2,
};

/** For the test suite: a weaker teacher and 4 steps. */
export const QUICK_DATA_PARALLEL_CONFIG: DataParallelConfig = {
  ...DATA_PARALLEL_CONFIG,
  name: 'data-parallel quick',
  teacher: { ...DATA_PARALLEL_CONFIG.teacher, hidden: [32], trainSamples: 2000, epochs: 1 },
  student: { ...DATA_PARALLEL_CONFIG.student, trainSamples: 1000 },
  steps: 4,
};

/** One training run's trajectory: loss per step, the first step's gradient, the final weights. */
interface Trajectory {
  readonly losses: number[];
  readonly firstGradient: Float32Array;
  readonly weights: Float32Array;
  readonly seconds: number;
}

/** How far a data-parallel run is from the single-process one. */
export interface Agreement {
  readonly mode: ShardMode;
  /** max over steps of |loss - reference loss| / |reference loss|. */
  readonly lossRelative: number;
  /** The first step's (same weights): |loss - reference| / reference. */
  readonly firstLossRelative: number;
  /** The first step's gradient: max |g - g_ref| / max |g_ref|. */
  readonly firstGradientRelative: number;
  /** The weights after the last step: max |w - w_ref| / max |w_ref|. */
  readonly weightsRelative: number;
  /** Whether every worker ended with the same weights, bit for bit. */
  readonly workersAgree: boolean;
  readonly losses: readonly number[];
  readonly seconds: number;
}

export interface DataParallelResult {
  readonly config: DataParallelConfig;
  readonly teacher: string;
  readonly student: string;
  readonly shardRows: readonly number[];
  readonly referenceLosses: readonly number[];
  readonly referenceSeconds: number;
  readonly modes: readonly Agreement[];
}

export async function runDataParallel(config: DataParallelConfig, mnist: Mnist, progress: ProgressReporter): Promise<DataParallelResult> {
  const lab = createLab(config, mnist, [config.teacher]);
  const { model: teacher } = await lab.trainTeacher(config.teacher, progress);
  const data = lab.studentData(config.seed, teacher);
  teacher.dispose();
  lab.dispose();
  const batchRows = config.student.batchSize;
  const whole = stepRows(data, config.steps, batchRows, config.seed);
  tf.dispose([data.images, data.oneHotLabels, data.labels, ...(data.teacherLogits ? [data.teacherLogits] : [])]);

  const reference = await trainInOneProcess(config, whole);
  const shardRows = splitRows(batchRows, config.workers);
  const modes: Agreement[] = [];
  for (const mode of ['exact', 'local'] as const) {
    const task = progress(`${config.workers} workers, ${mode} DIST`, config.steps);
    const run = await trainOnWorkers(config, whole, shardRows, mode, (step, loss) => task.advance(1, `step ${step + 1} loss ${loss.toFixed(4)}`));
    task.finish(`final loss ${run.trajectory.losses[config.steps - 1].toFixed(4)}`);
    modes.push(agreement(mode, run.trajectory, reference, run.workersAgree));
  }
  return {
    config,
    teacher: describeMlp(config.teacher.hidden),
    student: describeMlp(config.student.hidden),
    shardRows,
    referenceLosses: reference.losses,
    referenceSeconds: reference.seconds,
    modes,
  };
}

/** The batches of `steps` steps: a seeded permutation of the digits per epoch, `batchRows` rows per step, as arrays. */
function stepRows(data: TensorSet, steps: number, batchRows: number, seed: number): StepRows {
  const random = createRandom(seed);
  const order = new Int32Array(steps * batchRows);
  for (let filled = 0; filled < order.length; filled += data.count) {
    order.set(permutation(data.count, random).subarray(0, Math.min(data.count, order.length - filled)), filled);
  }
  const gathered = tf.tidy(() => {
    const indices = tf.tensor1d(order, 'int32');
    return [data.images, data.oneHotLabels, data.teacherLogits!].map((tensor) => tf.gather(tensor, indices));
  });
  const [images, oneHotLabels, teacherLogits] = gathered.map((tensor) => tensor.dataSync() as Float32Array);
  tf.dispose(gathered);
  return { rows: batchRows, images, oneHotLabels, teacherLogits };
}

/** Rows [first, first + count) of every step's batch, for one worker. */
function workerRows(whole: StepRows, steps: number, first: number, count: number): StepRows {
  const take = (values: Float32Array, width: number) => {
    const out = new Float32Array(steps * count * width);
    for (let step = 0; step < steps; step++) {
      const from = (step * whole.rows + first) * width;
      out.set(values.subarray(from, from + count * width), step * count * width);
    }
    return out;
  };
  return { rows: count, images: take(whole.images, IMAGE_SIZE), oneHotLabels: take(whole.oneHotLabels, NUM_CLASSES), teacherLogits: take(whole.teacherLogits, NUM_CLASSES) };
}

/** `batch` rows split into `workers` contiguous parts as even as can be. */
export function splitRows(batch: number, workers: number): number[] {
  return Array.from({ length: workers }, (_, k) => Math.floor(((k + 1) * batch) / workers) - Math.floor((k * batch) / workers));
}

/** The reference: CE + weight * DIST on whole batches in this thread, the example's own DIST objective. */
async function trainInOneProcess(config: DataParallelConfig, whole: StepRows): Promise<Trajectory> {
  const startedAt = performance.now();
  const model = buildMlp(config.student.hidden, config.seed);
  // As a tf.Optimizer: its applyGradients takes the NamedTensorMap that variableGrads returns.
  const optimizer: tf.Optimizer = tf.train.adam(config.student.learningRate);
  const objective = distMethod({ weight: config.distWeight }).objective;
  const losses: number[] = [];
  let firstGradient: Float32Array = new Float32Array(0);
  for (let step = 0; step < config.steps; step++) {
    const batch = stepBatch(whole, step);
    const { value, grads } = tf.variableGrads(() => objective(batch, model.apply(batch.images) as tf.Tensor2D));
    losses.push((await value.data())[0]);
    if (step === 0) firstGradient = flatten(grads);
    optimizer.applyGradients(grads);
    tf.dispose([value, ...Object.values(grads)]);
    disposeBatch(batch);
  }
  const weights = flatWeights(model);
  optimizer.dispose();
  model.dispose();
  return { losses, firstGradient, weights, seconds: (performance.now() - startedAt) / 1000 };
}

/** The run on worker threads, one MessagePort between every two workers; rank 0's trajectory. */
async function trainOnWorkers(
  config: DataParallelConfig,
  whole: StepRows,
  shardRows: readonly number[],
  mode: ShardMode,
  onStep: (step: number, loss: number) => void,
): Promise<{ trajectory: Trajectory; workersAgree: boolean }> {
  const workers = shardRows.length;
  const ports: (MessagePort | undefined)[][] = Array.from({ length: workers }, () => Array.from({ length: workers }, () => undefined));
  for (let a = 0; a < workers; a++) {
    for (let b = a + 1; b < workers; b++) {
      const channel = new MessageChannel();
      ports[a][b] = channel.port1;
      ports[b][a] = channel.port2;
    }
  }
  const losses: number[] = [];
  let firstGradient: Float32Array = new Float32Array(0);
  const weights: Float32Array[] = [];
  let seconds = 0;
  const threads: Worker[] = [];
  try {
    await Promise.all(
      shardRows.map((rows, rank) => {
        const first = shardRows.slice(0, rank).reduce((n, m) => n + m, 0);
        const data = workerRows(whole, config.steps, first, rows);
        const start: WorkerStart = {
          rank,
          mode,
          steps: config.steps,
          batchRows: whole.rows,
          hidden: config.student.hidden,
          seed: config.seed,
          learningRate: config.student.learningRate,
          distWeight: config.distWeight,
          distOptions: DIST_OPTIONS,
          data,
          ports: ports[rank],
        };
        const own = ports[rank].filter((port): port is MessagePort => port !== undefined);
        const worker = new Worker(new URL('./data-parallel-worker.js', import.meta.url), {
          workerData: start,
          transferList: [...own, ...[data.images, data.oneHotLabels, data.teacherLogits].map((values) => values.buffer as ArrayBuffer)],
        });
        threads.push(worker);
        return new Promise<void>((resolve, reject) => {
          worker.on('message', (message: WorkerReport) => {
            if (message.kind === 'done') {
              weights[message.rank] = message.weights;
              seconds = Math.max(seconds, message.seconds);
              resolve();
            } else if (message.rank === 0) {
              losses.push(message.loss);
              if (message.gradient) firstGradient = message.gradient;
              onStep(message.step, message.loss);
            }
          });
          worker.on('error', reject);
          worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${rank} exited with code ${code}`))));
        });
      }),
    );
  } finally {
    await Promise.all(threads.map((thread) => thread.terminate()));
  }
  const workersAgree = weights.every((w) => w.length === weights[0].length && w.every((value, k) => value === weights[0][k]));
  return { trajectory: { losses, firstGradient, weights: weights[0], seconds }, workersAgree };
}

function agreement(mode: ShardMode, run: Trajectory, reference: Trajectory, workersAgree: boolean): Agreement {
  const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
  return {
    mode,
    lossRelative: Math.max(...run.losses.map((loss, step) => relative(loss, reference.losses[step]))),
    firstLossRelative: relative(run.losses[0], reference.losses[0]),
    firstGradientRelative: arrayRelative(run.firstGradient, reference.firstGradient),
    weightsRelative: arrayRelative(run.weights, reference.weights),
    workersAgree,
    losses: run.losses,
    seconds: run.seconds,
  };
}

/** max |a - b| / max |b|. */
function arrayRelative(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) throw new Error(`compared arrays of ${actual.length} and ${expected.length} values`);
  let worst = 0;
  let scale = 0;
  for (let k = 0; k < expected.length; k++) {
    worst = Math.max(worst, Math.abs(actual[k] - expected[k]));
    scale = Math.max(scale, Math.abs(expected[k]));
  }
  return worst / scale;
}

const exponent = (value: number) => (value === 0 ? '0' : value.toExponential(1));

export function renderDataParallelMarkdown(result: DataParallelResult, command: string, device: string): string {
  const { config } = result;
  const lines = [
    `# MNIST student trained data-parallel on ${config.workers} worker threads`,
    '',
    `Produced by \`${command}\` on ${device}. Teacher MLP ${result.teacher}; student MLP ${result.student}, ` +
      `${config.steps} Adam steps (lr ${config.student.learningRate}) of CE + ${config.distWeight} * DIST on batches of ` +
      `${config.student.batchSize} digits, split ${result.shardRows.join(' + ')} rows across the workers; DIST options of ` +
      `core's PRESETS.cifar100 (tau ${DIST_OPTIONS.tau}).`,
    '',
    'Each row compares a data-parallel run with the same training in one process on whole batches ' +
      `(${result.referenceSeconds.toFixed(1)} s): relative differences of the loss (first step, and the largest over the steps), ` +
      "of the first step's gradient (same weights; max |g - g_ref| / max |g_ref|) and of the final weights.",
    '',
    '| DIST on a worker | first loss | worst loss over steps | first gradient | final weights | workers agree | seconds (slowest worker, start included) |',
    '| --- | ---: | ---: | ---: | ---: | :---: | ---: |',
    ...result.modes.map((m) =>
      `| ${m.mode === 'exact' ? 'exact: merged statistics (backend-tfjs shards)' : 'local: its own rows (official code)'} | ` +
      `${exponent(m.firstLossRelative)} | ${exponent(m.lossRelative)} | ${exponent(m.firstGradientRelative)} | ` +
      `${exponent(m.weightsRelative)} | ${m.workersAgree ? 'yes' : 'no'} | ${m.seconds.toFixed(1)} |`,
    ),
    '',
    '| step | single process | exact | local |',
    '| ---: | ---: | ---: | ---: |',
    ...result.referenceLosses.map((loss, step) => `| ${step + 1} | ${loss.toFixed(6)} | ${result.modes[0].losses[step].toFixed(6)} | ${result.modes[1].losses[step].toFixed(6)} |`),
    '',
  ];
  return lines.join('\n');
}

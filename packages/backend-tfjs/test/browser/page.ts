/**
 * The page `browser.test.ts` and `scripts/measure-webgl.mjs` drive in headless Chromium: the
 * conformance suite, training loops and timings on tfjs-webgl and tfjs-webgpu. Every read of a
 * tensor is `await data()`: in headless Chromium, `dataSync()` on tfjs-webgpu returned 0 for
 * GPU-computed tensors.
 */
import * as tf from '@tensorflow/tfjs';
// tfjs-webgpu registers itself on import; bundlers do not follow backend-tfjs's dynamic import of it.
import '@tensorflow/tfjs-backend-webgpu';
import { runConformance } from '@dist-kd/conformance';
import {
  createBackend,
  distillationLoss,
  distLoss,
  distLossFunction,
  useTfjsPlatform,
  type TfjsPlatform,
} from '../../src/index.js';
import { runsDistKernel } from '../../src/dist-pass.js';
import { packedTextureTensor, readPackedTexture } from '../../src/webgl/host-textures.js';

export interface ConformanceSummary {
  readonly available: boolean;
  readonly reason?: string;
  readonly computedBy?: string;
  readonly passed?: number;
  readonly failed?: number;
  /** The first failures, `name: message`. */
  readonly failures?: string[];
  /** Checks with the sigmoid activation that passed, and whether the DIST kernel computed them. */
  readonly sigmoidPassed?: number;
  readonly sigmoidInKernel?: boolean;
}

/** The suite on tfjs-`variant`, with the bundled golden files and those at the URLs of `golden`. */
async function conformance(variant: string, golden: string[] = []): Promise<ConformanceSummary> {
  const backend = createBackend({ variant });
  try {
    const availability = await backend.availability();
    if (!availability.available) return { available: false, reason: availability.reason };
    // The lifecycle checks dispose backends: they get fresh ones from the factory.
    const report = await runConformance(backend, { createBackend: () => createBackend({ variant }), golden: golden.map((url) => new URL(url, location.href)) });
    const failures = report.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.message}`);
    return {
      available: true,
      computedBy: availability.details?.computedBy,
      passed: report.passed,
      failed: report.failed,
      failures: failures.slice(0, 20),
      sigmoidPassed: report.results.filter((r) => r.ok && r.name.includes('sigmoid')).length,
      sigmoidInKernel: runsDistKernel('auto', tf.getBackend(), { activation: 'sigmoid' }),
    };
  } finally {
    await backend.dispose();
  }
}

export interface TrainingRun {
  readonly firstLoss: number;
  readonly lastLoss: number;
  /** tf.memory().numTensors after the first few steps and after the last one. */
  readonly tensorsEarly: number;
  readonly tensorsLate: number;
  readonly steps: number;
}

/** A tiny distillation task: a fixed linear teacher, a one-layer student, 16 samples of 8 features. */
function task() {
  const features = tf.randomNormal([64, 8], 0, 1, 'float32', 1);
  const teacherLogits = tf.tidy(() => tf.mul(tf.matMul(features, tf.randomNormal([8, 5], 0, 1, 'float32', 2)), 2));
  const labels = tf.argMax(teacherLogits, 1);
  const student = tf.sequential({ layers: [tf.layers.dense({ units: 5, inputShape: [8], kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) })] });
  return { features, teacherLogits, labels, student, dispose: () => tf.dispose([features, teacherLogits, labels]) };
}

const EARLY_STEP = 10;

/** `optimizer.minimize` with `distillationLoss`, one full batch per step. */
async function trainMinimize(steps: number): Promise<TrainingRun> {
  const { features, teacherLogits, labels, student, dispose } = task();
  const optimizer = tf.train.adam(0.02);
  let firstLoss = NaN;
  let lastLoss = NaN;
  let tensorsEarly = -1;
  for (let step = 0; step < steps; step++) {
    const loss = optimizer.minimize(
      () => distillationLoss({ labels, studentLogits: student.predict(features) as tf.Tensor, teacherLogits, weight: 2, options: { tau: 2 } }),
      true,
    )!;
    if (step === 0) firstLoss = (await loss.data())[0];
    if (step === steps - 1) lastLoss = (await loss.data())[0];
    loss.dispose();
    if (step === EARLY_STEP) tensorsEarly = tf.memory().numTensors;
  }
  const tensorsLate = tf.memory().numTensors;
  optimizer.dispose();
  student.dispose();
  dispose();
  return { firstLoss, lastLoss, tensorsEarly, tensorsLate, steps };
}

/** `model.fit` with `distLossFunction`: 4 batches of 16 per epoch, so steps / 4 epochs. */
async function trainFit(steps: number): Promise<TrainingRun> {
  const { features, teacherLogits, student, dispose } = task();
  student.compile({ optimizer: tf.train.adam(0.02), loss: distLossFunction({ tau: 2 }) });
  const epochs = Math.ceil(steps / 4);
  let tensorsEarly = -1;
  const history = await student.fit(features, teacherLogits, {
    epochs,
    batchSize: 16,
    shuffle: false,
    verbose: 0,
    callbacks: {
      onEpochEnd: async (epoch) => {
        if (epoch === EARLY_STEP / 2) tensorsEarly = tf.memory().numTensors;
      },
    },
  });
  const tensorsLate = tf.memory().numTensors;
  const losses = history.history.loss as number[];
  student.dispose();
  dispose();
  return { firstLoss: losses[0], lastLoss: losses[losses.length - 1], tensorsEarly, tensorsLate, steps: epochs * 4 };
}

async function train(platform: TfjsPlatform, how: 'minimize' | 'fit', steps: number): Promise<TrainingRun & { computedBy: string }> {
  await useTfjsPlatform(platform);
  const availability = await createBackend({ variant: platform }).availability();
  const computedBy = availability.available ? (availability.details?.computedBy ?? 'unknown') : `unavailable: ${availability.reason}`;
  const run = how === 'minimize' ? await trainMinimize(steps) : await trainFit(steps);
  return { ...run, computedBy };
}

/** A bad logit on a GPU backend: the op reads nothing; reading the loss throws the typed error. */
async function badInput(platform: TfjsPlatform): Promise<{ loss: number; error?: { name: string; code?: string; message: string } }> {
  await useTfjsPlatform(platform);
  const values = Float32Array.from({ length: 24 }, (_, k) => Math.sin(k));
  values[13] = NaN;
  const student = tf.tensor2d(values, [4, 6]);
  const teacher = tf.tensor2d(Float32Array.from({ length: 24 }, (_, k) => Math.cos(k)), [4, 6]);
  const loss = distLoss(teacher, student);
  let value = NaN;
  let error: { name: string; code?: string; message: string } | undefined;
  try {
    [value] = await loss.data();
  } catch (caught) {
    const { name, code, message } = caught as Error & { code?: string };
    error = { name, code, message };
  }
  tf.dispose([loss, student, teacher]);
  return { loss: value, error };
}

export interface Timing {
  readonly size: string;
  readonly subject: string;
  /** \`each call\`: every call ends with reading the loss and the gradient's sum; \`pipelined\`: a read after 10 calls. */
  readonly reads: 'each call' | 'pipelined';
  /** Median ms per call. */
  readonly medianMs: number;
  readonly samples: number[];
}

/** Calls per sample in \`pipelined\` timings. */
const PIPELINED_CALLS = 10;

/**
 * Forward + backward (value and gradient of the loss with respect to the student), subjects
 * alternating sample by sample, two ways: reading the loss and the gradient's sum after each call (so
 * the GPU has finished it; the read's own latency included), and issuing 10 calls before one read
 * (the GPU's throughput, as a training loop that reads the loss now and then sees it).
 */
async function bench(platform: TfjsPlatform, sizes: [number, number][], samples: number): Promise<Timing[]> {
  await useTfjsPlatform(platform);
  const subjects: Record<string, (teacher: tf.Tensor2D) => (student: tf.Tensor2D) => tf.Scalar> = {
    distLoss: (teacher) => (student) => distLoss(teacher, student),
    'distLoss ops': (teacher) => (student) => distLoss(teacher, student, { implementation: 'ops' }),
  };
  const timings: Timing[] = [];
  for (const [batch, classes] of sizes) {
    const student = tf.randomNormal([batch, classes], 0, 3, 'float32', 5) as tf.Tensor2D;
    const teacher = tf.randomNormal([batch, classes], 0, 3, 'float32', 6) as tf.Tensor2D;
    const runs = Object.entries(subjects).map(([subject, make]) => ({ subject, step: tf.valueAndGrad(make(teacher)) }));
    for (const reads of ['each call', 'pipelined'] as const) {
      const calls = reads === 'each call' ? 1 : PIPELINED_CALLS;
      const collected = runs.map(() => [] as number[]);
      // The first two samples compile shaders and fill tfjs's texture pool.
      for (let sample = -2; sample < samples; sample++) {
        for (const [k, run] of runs.entries()) {
          const start = performance.now();
          const made: tf.Tensor[] = [];
          for (let call = 0; call < calls; call++) {
            const { value, grad } = run.step(student);
            made.push(value, grad);
          }
          const gradientSum = tf.sum(made[made.length - 1]);
          await Promise.all([made[made.length - 2].data(), gradientSum.data()]);
          const elapsed = (performance.now() - start) / calls;
          tf.dispose([...made, gradientSum]);
          if (sample >= 0) collected[k].push(elapsed);
        }
      }
      for (const [k, { subject }] of runs.entries()) {
        const sorted = [...collected[k]].sort((a, b) => a - b);
        timings.push({ size: `${batch}x${classes}`, subject, reads, medianMs: sorted[Math.floor(sorted.length / 2)], samples: collected[k] });
      }
    }
    tf.dispose([student, teacher]);
  }
  return timings;
}

export interface HostTransferCase {
  readonly shape: [number, number];
  /** Whether the values went into a texture directly, and came back from it directly. */
  readonly uploadedDirectly: boolean;
  readonly readDirectly: boolean;
  /** Whether the DIST kernel's gradient (a packed texture tfjs made) came back directly; null with one class. */
  readonly gradientReadDirectly: boolean | null;
  /** Values that differ: the upload read by tfjs's `data()`, the direct read, the gradient's direct read against its `data()`. */
  readonly uploadMismatches: number;
  readonly readMismatches: number;
  readonly gradientMismatches: number;
}

/**
 * On tfjs-webgl: host arrays written into packed textures (`packedTextureTensor`) and packed
 * tensors read from theirs (`readPackedTexture`), checked value for value against tfjs's own
 * transfers: the upload as `data()` reads it, its direct read, and the direct read of the DIST
 * kernel's gradient against the gradient's `data()`.
 */
async function hostTransfers(shapes: [number, number][]): Promise<HostTransferCase[]> {
  await useTfjsPlatform('webgl');
  const cases: HostTransferCase[] = [];
  for (const shape of shapes) {
    const size = shape[0] * shape[1];
    const values = Float32Array.from({ length: size }, (_, k) => Math.sin(k * 0.37) * 5 + k * 1e-3);
    const direct = packedTextureTensor(values, shape);
    const read = direct && readPackedTexture(direct);
    const [uploaded, readBack] = direct ? await Promise.all([direct.data(), read ?? direct.data()]) : [values, values];
    direct?.dispose();
    let gradientReadDirectly: boolean | null = null;
    let gradientMismatches = 0;
    if (shape[1] > 1) {
      const student = tf.tensor2d(values, shape);
      const teacher = tf.tensor2d(values.map((v) => Math.cos(v)), shape);
      const gradient = tf.grad((s: tf.Tensor) => distLoss(teacher, s as tf.Tensor2D))(student);
      const gradientRead = readPackedTexture(gradient);
      gradientReadDirectly = gradientRead !== undefined;
      const [mine, tfjs] = await Promise.all([gradientRead ?? gradient.data(), gradient.data()]);
      gradientMismatches = countMismatches(mine as Float32Array, tfjs as Float32Array);
      tf.dispose([student, teacher, gradient]);
    }
    cases.push({
      shape,
      uploadedDirectly: direct !== undefined,
      readDirectly: read !== undefined,
      gradientReadDirectly,
      uploadMismatches: countMismatches(uploaded as Float32Array, values),
      readMismatches: countMismatches(readBack as Float32Array, values),
      gradientMismatches,
    });
  }
  return cases;
}

function countMismatches(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Math.max(actual.length, expected.length);
  return expected.reduce((count, value, k) => count + (Object.is(actual[k], value) ? 0 : 1), 0);
}

/** What the page offers `page.evaluate`. */
export interface PageApi {
  distConformance: typeof conformance;
  distTrain: typeof train;
  distBadInput: typeof badInput;
  distBench: typeof bench;
  distHostTransfers: typeof hostTransfers;
}

Object.assign(window, { distConformance: conformance, distTrain: train, distBadInput: badInput, distBench: bench, distHostTransfers: hostTransfers } satisfies PageApi);
document.title = 'ready';

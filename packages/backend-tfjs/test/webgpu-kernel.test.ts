/**
 * The DistKdDist kernel on tfjs-webgpu in Node (Dawn): distLoss, distillationLoss and the
 * DistBackend run kernel-wgsl's passes on tfjs's device, with the analytic gradient, no read inside
 * the op, no tensor leak over many steps, and typed errors when a NaN loss is read.
 */
import './swiftshader-fallback.js';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConformanceTests } from '@dist-kd/conformance';
import { dawnWebGpu, referenceDist, resolveOptions } from '@dist-kd/core';
import { createBackend, distillationLoss, distLoss, useTfjsPlatform } from '../src/index.js';
import { DIST_KERNEL_NAME } from '../src/kernels/dist-kernel.js';
import { hasDistKernel } from '../src/kernels/register-all.js';
import { runsDistKernel } from '../src/dist-pass.js';
import { cases, randomLogits, relativeError } from './helpers.js';

beforeAll(async () => {
  await useTfjsPlatform('webgpu');
}, 120_000);

/** Counts the webgpu backend's reads (every data(), dataSync() and readToGPU goes through them). */
function countReads(): { count: () => number; restore: () => void } {
  const backend = tf.backend() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const names = ['read', 'readSync', 'readToGPU'] as const;
  const originals = names.map((name) => backend[name]);
  let reads = 0;
  names.forEach((name, k) => {
    backend[name] = (...args: unknown[]) => {
      reads++;
      return originals[k].apply(backend, args);
    };
  });
  return { count: () => reads, restore: () => names.forEach((name, k) => (backend[name] = originals[k])) };
}

/** Counts runs of the DistKdDist kernel through tfjs's engine. */
function countKernelRuns(): { count: () => number; restore: () => void } {
  const engine = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
  const original = engine.runKernel;
  let runs = 0;
  engine.runKernel = function (this: unknown, name: string, ...rest: unknown[]) {
    if (name === DIST_KERNEL_NAME) runs++;
    return original.call(this, name, ...rest);
  };
  return { count: () => runs, restore: () => (engine.runKernel = original) };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

// GPU work on a software adapter, on a machine that may be busy: generous timeouts, no timings.
const GPU_TEST = { timeout: 120_000 };

describe('DistKdDist on tfjs webgpu', GPU_TEST, () => {
  it("runs on core's one Dawn instance per process (the one backend-webgpu uses)", async () => {
    const { dawn } = await dawnWebGpu(() => Promise.reject(new Error('not called: tfjs-webgpu started the instance')));
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBe(dawn!.gpu);
  });

  it('is registered for webgpu, and the backend reports the WGSL kernels', async () => {
    expect(hasDistKernel('webgpu')).toBe(true);
    expect(tf.getKernel(DIST_KERNEL_NAME, 'webgpu')?.backendName).toBe('webgpu');
    const backend = createBackend({ variant: 'webgpu' });
    expect(await backend.availability()).toMatchObject({ available: true, details: { computedBy: expect.stringMatching(/WGSL/) } });
    await backend.dispose();
  });

  it('gives the reference loss and gradient through tf.valueAndGrad', async () => {
    for (const c of cases()) {
      const options = resolveOptions(c.options);
      const teacher = tf.tensor2d(c.teacher, c.shape);
      const student = tf.tensor2d(c.student, c.shape);
      const { value, grad } = tf.valueAndGrad((s: tf.Tensor) => distLoss(teacher, s, c.options))(student);
      const expected = referenceDist({ student: c.student, teacher: c.teacher, shape: c.shape, options, gradient: true });
      const loss = (await value.data())[0];
      expect(Math.abs(loss - expected.loss), c.name).toBeLessThan(1e-4 * Math.max(1, expected.loss));
      expect(relativeError(await grad.data(), expected.gradient!), c.name).toBeLessThan(1e-3);
      tf.dispose([teacher, student, value, grad]);
    }
  });

  it('runs sigmoid through the WGSL kernels too (not the ops), with the reference loss and gradient', async () => {
    expect(runsDistKernel('auto', 'webgpu', { activation: 'sigmoid' })).toBe(true);
    const [B, C] = [12, 20];
    const options = resolveOptions({ activation: 'sigmoid', tau: 2 });
    const values = { student: randomLogits(B, C, 21), teacher: randomLogits(B, C, 22) };
    const student = tf.tensor2d(values.student, [B, C]);
    const teacher = tf.tensor2d(values.teacher, [B, C]);
    const kernelRuns = countKernelRuns();
    const { value, grad } = tf.valueAndGrad((s: tf.Tensor) => distLoss(teacher, s, options))(student);
    expect(kernelRuns.count()).toBe(1);
    kernelRuns.restore();
    const expected = referenceDist({ ...values, shape: [B, C], options, gradient: true });
    expect(Math.abs((await value.data())[0] - expected.loss)).toBeLessThan(1e-4 * Math.max(1, expected.loss));
    expect(relativeError(await grad.data(), expected.gradient!)).toBeLessThan(1e-3);
    tf.dispose([student, teacher, value, grad]);
  });

  it('reads nothing back inside the op: a training step only records GPU work', async () => {
    const [B, C] = [16, 10];
    const features = tf.randomNormal([B, 8], 0, 1, 'float32', 3);
    const teacherLogits = tf.randomNormal([B, C], 0, 2, 'float32', 4);
    const labels = tf.argMax(teacherLogits, 1);
    const weights = tf.variable(tf.randomNormal([8, C], 0, 0.1, 'float32', 5));
    const optimizer = tf.train.sgd(0.1);
    const reads = countReads();
    let loss: tf.Scalar | null = null;
    try {
      for (let step = 0; step < 5; step++) {
        loss?.dispose();
        loss = optimizer.minimize(
          () => distillationLoss({ labels, studentLogits: tf.matMul(features, weights), teacherLogits, weight: 2 }),
          true,
        );
      }
      expect(reads.count()).toBe(0);
      const value = (await loss!.data())[0];
      expect(Number.isFinite(value)).toBe(true);
      expect(reads.count()).toBe(1);
    } finally {
      reads.restore();
      tf.dispose([features, teacherLogits, labels, weights, loss!]);
      optimizer.dispose();
    }
  });

  it('leaks no tensors and no GPU memory over 300 training steps', async () => {
    const [B, C] = [32, 20];
    const features = tf.randomNormal([B, 12], 0, 1, 'float32', 6);
    const teacherLogits = tf.randomNormal([B, C], 0, 2, 'float32', 7);
    const labels = tf.argMax(teacherLogits, 1);
    const student = tf.sequential({ layers: [tf.layers.dense({ units: C, inputShape: [12] })] });
    const optimizer = tf.train.adam(0.01);
    const step = () => {
      const loss = optimizer.minimize(
        () => distillationLoss({ labels, studentLogits: student.predict(features) as tf.Tensor, teacherLogits, weight: 2 }),
        true,
      )!;
      return loss;
    };
    step().dispose(); // the optimizer creates its slots on the first step
    const tensors = tf.memory().numTensors;
    const bytes = (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU;
    let first = 0;
    let last = 0;
    for (let k = 0; k < 300; k++) {
      const loss = step();
      if (k === 0) first = (await loss.data())[0];
      if (k === 299) last = (await loss.data())[0];
      loss.dispose();
    }
    expect(tf.memory().numTensors).toBe(tensors);
    // Buffers still pending release at a submit come and go between steps; growth would be a leak.
    expect((tf.memory() as { numBytesInGPU?: number }).numBytesInGPU).toBeLessThanOrEqual(bytes!);
    expect(last).toBeLessThan(first);
    tf.dispose([features, teacherLogits, labels]);
    student.dispose();
    optimizer.dispose();
  });
});

describe('host arrays on tfjs webgpu (DistBackend compute)', GPU_TEST, () => {
  it('go in by writeBuffer into buffers kept per size; overlapping calls each get their own buffers and result', async () => {
    const [B, C] = [24, 40];
    const backend = createBackend({ variant: 'webgpu' });
    await backend.compute({ student: randomLogits(B, C, 1), teacher: randomLogits(B, C, 2), shape: [B, C] }); // starts tfjs
    const queue = (tf.backend() as unknown as { device: GPUDevice }).device.queue;
    const writeBuffer = queue.writeBuffer;
    const written: GPUBuffer[] = [];
    queue.writeBuffer = function (this: GPUQueue, buffer: GPUBuffer, ...rest: unknown[]) {
      if (buffer.label === 'dist-kd host logits') written.push(buffer);
      return (writeBuffer as (...args: unknown[]) => undefined).call(this, buffer, ...rest);
    } as GPUQueue['writeBuffer'];
    try {
      const tensors = tf.memory().numTensors;
      const requests = [0, 1, 2, 3].map((k) => ({ student: randomLogits(B, C, 10 + k), teacher: randomLogits(B, C, 20 + k), shape: [B, C] as [number, number] }));
      const results = await Promise.all(requests.map((request) => backend.compute({ ...request, gradient: true })));
      results.forEach((result, k) => {
        const expected = referenceDist({ ...requests[k], options: resolveOptions({}), gradient: true });
        expect(Math.abs(result.loss - expected.loss)).toBeLessThan(1e-4 * Math.max(1, expected.loss));
        expect(relativeError(result.gradient!, expected.gradient!)).toBeLessThan(1e-3);
      });
      // Two writes per call, each overlapping call into buffers of its own.
      expect(written).toHaveLength(2 * requests.length);
      expect(new Set(written).size).toBe(2 * requests.length);
      // The next call of this size reuses a pair the others left.
      await backend.compute({ ...requests[0], gradient: true });
      expect(written.slice(0, -2)).toEqual(expect.arrayContaining(written.slice(-2)));
      expect(tf.memory().numTensors).toBe(tensors);
    } finally {
      queue.writeBuffer = writeBuffer;
      await backend.dispose();
    }
  });
});

describe('bad input on tfjs webgpu: the loss is NaN on the GPU, and reading it throws the typed error', GPU_TEST, () => {
  const [B, C] = [4, 6];
  const good = () => tf.tensor2d(randomLogits(B, C, 1), [B, C]);

  it('NON_FINITE, with the position, while the logits live', async () => {
    const values = randomLogits(B, C, 2);
    values[7] = Number.NaN;
    const student = tf.tensor2d(values, [B, C]);
    const teacher = good();
    const reads = countReads();
    const loss = distLoss(teacher, student);
    expect(reads.count()).toBe(0);
    reads.restore();
    await expect(loss.data()).rejects.toMatchObject({ code: 'NON_FINITE', message: expect.stringMatching(/student\[1, 1\]/) });
    tf.dispose([student, teacher, loss]);
  });

  it('NON_FINITE after the logits were disposed (an Infinity the fused ops alone would absorb)', async () => {
    const values = randomLogits(B, C, 3);
    values[0] = Number.NEGATIVE_INFINITY;
    const loss = tf.tidy(() => distLoss(good(), tf.tensor2d(values, [B, C])));
    expect(await codeOf(loss.data())).toBe('NON_FINITE');
    loss.dispose();
  });

  it('DEGENERATE for eps = 0 and a flat row; validate: false returns the NaN', async () => {
    const student = tf.fill([B, C], 0.5) as tf.Tensor2D;
    const teacher = good();
    const loss = distLoss(teacher, student, { eps: 0 });
    expect(await codeOf(loss.data())).toBe('DEGENERATE');
    const unchecked = distLoss(teacher, student, { eps: 0, validate: false });
    expect((await unchecked.data())[0]).toBeNaN();
    tf.dispose([student, teacher, loss, unchecked]);
  });

  it('distillationLoss explains its total the same way', async () => {
    const values = randomLogits(B, C, 4);
    values[3] = Number.POSITIVE_INFINITY;
    const student = tf.tensor2d(values, [B, C]);
    const teacher = good();
    const total = distillationLoss({ labels: tf.argMax(teacher, 1), studentLogits: student, teacherLogits: teacher });
    expect(await codeOf(total.data())).toBe('NON_FINITE');
    tf.dispose([student, teacher, total]);
  });
});

defineConformanceTests(() => createBackend({ variant: 'webgpu' }), {
  test: (name: string, run: () => Promise<void>) => it(name, run, GPU_TEST.timeout),
  describe,
  afterAll,
  title: 'conformance: tfjs-webgpu',
  features: { bind: true },
});

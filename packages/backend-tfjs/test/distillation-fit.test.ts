/**
 * distillationFit: cross-entropy + weight * DIST in model.fit, on tfjs-wasm and tfjs-cpu. Its total
 * is distillationLoss's on the same batch, fit trains the student with it without leaking tensors,
 * and targets it did not pack are typed errors.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { distillationFit, distillationLoss, useTfjsPlatform } from '../src/index.js';
import { randomLogits } from './helpers.js';

const B = 32;
const FEATURES = 6;
const C = 5;
const SETTINGS = { weight: 2, options: { tau: 2 } };

/** Features, the teacher's logits (a fixed linear map of them), and labels that are not all the teacher's argmax. */
function data() {
  return tf.tidy(() => {
    const x = tf.tensor2d(randomLogits(B, FEATURES, 31, 1), [B, FEATURES]);
    const teacherLogits = tf.matMul(x, tf.tensor2d(randomLogits(FEATURES, C, 32, 2), [FEATURES, C])) as tf.Tensor2D;
    const labels = tf.tensor1d(Array.from({ length: B }, (_, i) => (i * 7) % C), 'int32');
    return { x, teacherLogits, labels };
  });
}

function student(seed: number) {
  return tf.sequential({ layers: [tf.layers.dense({ units: C, inputShape: [FEATURES], kernelInitializer: tf.initializers.glorotNormal({ seed }) })] });
}

describe.each(['wasm', 'cpu'] as const)('distillationFit on tfjs-%s', (platform) => {
  it('its fit loss is distillationLoss on the same batch, term by term, and so is its gradient', async () => {
    await useTfjsPlatform(platform);
    const { x, teacherLogits, labels } = data();
    const model = student(1);
    const twin = student(1);
    const expected = tf.tidy(() => {
      const studentLogits = model.predict(x) as tf.Tensor;
      const total = distillationLoss({ labels, studentLogits, teacherLogits, ...SETTINGS }).dataSync()[0]!;
      return { total, crossEntropy: distillationLoss({ labels, studentLogits, teacherLogits, weight: 0 }).dataSync()[0]! };
    });
    const training = distillationFit(model, SETTINGS);
    training.model.compile({ optimizer: tf.train.sgd(0.1), loss: training.loss });
    const targets = training.targets(labels, teacherLogits);
    // One batch, one epoch: the history holds the loss at the starting weights, then one SGD step is taken.
    const history = (await training.model.fit(x, targets, { epochs: 1, batchSize: B, shuffle: false, verbose: 0 })).history as Record<string, number[]>;
    expect(history.loss![0]).toBeCloseTo(expected.total, 4);
    expect(history.distill_cross_entropy_loss![0]).toBeCloseTo(expected.crossEntropy, 4);
    expect(history.distill_dist_loss![0]).toBeCloseTo(expected.total - expected.crossEntropy, 4);
    // The same SGD step on distillationLoss from the same weights lands on the same weights.
    const optimizer = tf.train.sgd(0.1);
    tf.dispose(optimizer.minimize(() => distillationLoss({ labels, studentLogits: twin.predict(x) as tf.Tensor, teacherLogits, ...SETTINGS }), true)!);
    const [fitted, stepped] = [model.getWeights()[0]!.dataSync(), twin.getWeights()[0]!.dataSync()];
    for (let k = 0; k < fitted.length; k++) expect(fitted[k]).toBeCloseTo(stepped[k]!, 5);
    tf.dispose([x, teacherLogits, labels, ...targets]);
    optimizer.dispose();
    training.model.dispose();
    twin.dispose();
  });

  it('model.fit trains the student for a few epochs, each term in the history, no tensor leaking', async () => {
    await useTfjsPlatform(platform);
    const { x, teacherLogits, labels } = data();
    const model = student(2);
    const training = distillationFit(model, SETTINGS);
    training.model.compile({ optimizer: tf.train.adam(0.05), loss: training.loss });
    const targets = training.targets(labels, teacherLogits);
    // The first fit creates the optimizer's slots.
    await training.model.fit(x, targets, { epochs: 1, batchSize: 16, verbose: 0 });
    const before = tf.memory().numTensors;
    const history = await training.model.fit(x, targets, { epochs: 8, batchSize: 16, verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
    const { loss, distill_cross_entropy_loss: ce, distill_dist_loss: dist } = history.history as Record<string, number[]>;
    expect(loss).toHaveLength(8);
    expect(loss!.every(Number.isFinite)).toBe(true);
    expect(loss![7]).toBeLessThan(loss![0]!);
    expect(dist![7]).toBeLessThan(dist![0]!);
    for (let epoch = 0; epoch < 8; epoch++) expect(loss![epoch]).toBeCloseTo(ce![epoch]! + dist![epoch]!, 4);
    tf.dispose([x, teacherLogits, labels, ...targets]);
    training.model.dispose();
  });
});

describe('distillationFit refuses what it cannot train with, with typed errors', () => {
  it('targets it did not pack: swapped, or the teacher logits alone', async () => {
    await useTfjsPlatform('wasm');
    const { x, teacherLogits, labels } = data();
    const training = distillationFit(student(3), SETTINGS);
    training.model.compile({ optimizer: 'sgd', loss: training.loss });
    const [rows, teacher] = training.targets(labels, teacherLogits);
    await expect(training.model.fit(x, [teacher!, rows!], { epochs: 1, verbose: 0 })).rejects.toMatchObject({
      name: 'DistInputError',
      code: 'BAD_LABEL',
      message: expect.stringMatching(/rows of probabilities .*were the targets swapped, or not made by targets\(\)/),
    });
    // One target for two outputs is tfjs-layers' own error, before any loss runs.
    await expect(training.model.fit(x, teacherLogits, { epochs: 1, verbose: 0 })).rejects.toThrow(/expects 2 Tensor\(s\)/);
    tf.dispose([x, teacherLogits, labels, rows!, teacher!]);
    training.model.dispose();
  });

  it('bad labels, a teacher of another shape, a bad weight, a mask, a student that is not one [B, C] output', async () => {
    await useTfjsPlatform('wasm');
    const { x, teacherLogits, labels } = data();
    const training = distillationFit(student(4), SETTINGS);
    const tensors = tf.memory().numTensors;
    const outside = tf.tensor1d(Array.from({ length: B }, (_, i) => (i === 3 ? C : 0)), 'int32');
    expect(() => training.targets(outside, teacherLogits)).toThrow(expect.objectContaining({ code: 'BAD_LABEL', message: expect.stringMatching(/labels\[3\] = 5/) }));
    const wide = tf.zeros([B, C + 1]);
    expect(() => training.targets(labels, wide)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', message: expect.stringMatching(/\[B, 5\]/) }));
    expect(tf.memory().numTensors).toBe(tensors + 2);
    expect(() => distillationFit(student(5), { weight: -1 })).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    expect(() => distillationFit(student(5), { options: { tau: -1 } })).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    expect(() => distillationFit(student(5), { options: { mask: [1] } })).toThrow(expect.objectContaining({ code: 'BAD_OPTION', message: expect.stringMatching(/no mask/) }));
    const input = tf.input({ shape: [FEATURES] });
    const twoOutputs = tf.model({ inputs: input, outputs: [tf.layers.dense({ units: C }).apply(input), tf.layers.dense({ units: C }).apply(input)] as tf.SymbolicTensor[] });
    expect(() => distillationFit(twoOutputs)).toThrow(expect.objectContaining({ code: 'BAD_SHAPE', message: expect.stringMatching(/2 outputs/) }));
    const unbuilt = tf.sequential();
    expect(() => distillationFit(unbuilt)).toThrow(expect.objectContaining({ code: 'BAD_SHAPE', message: expect.stringMatching(/not built yet/) }));
    tf.dispose([x, teacherLogits, labels, outside, wide]);
  });
});

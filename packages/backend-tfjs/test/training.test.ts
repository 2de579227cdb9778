import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { distLoss, distLossFunction, distillationLoss, useTfjsPlatform } from '../src/index.js';
import { randomLogits } from './helpers.js';

const B = 16;
const FEATURES = 6;
const C = 5;

/** A fixed batch: features, teacher logits (a fixed linear map of them) and labels. */
function batch() {
  const x = tf.tensor2d(randomLogits(B, FEATURES, 21, 1), [B, FEATURES]);
  const teacherWeights = tf.tensor2d(randomLogits(FEATURES, C, 22, 2), [FEATURES, C]);
  const teacherLogits = tf.matMul(x, teacherWeights);
  const labels = tf.argMax(teacherLogits, 1);
  teacherWeights.dispose();
  return { x, teacherLogits, labels };
}

describe('training loops with the DIST loss keep tensor counts flat and reduce the loss', () => {
  beforeAll(async () => {
    await useTfjsPlatform('wasm');
  });

  it('optimizer.minimize', () => {
    const { x, teacherLogits, labels } = batch();
    const w = tf.variable(tf.zeros([FEATURES, C]));
    const optimizer = tf.train.sgd(0.05);
    const step = () => optimizer.minimize(() => distLoss(teacherLogits, tf.matMul(x, w)), true) as tf.Scalar;
    const first = step();
    const firstLoss = first.dataSync()[0];
    first.dispose();
    const before = tf.memory().numTensors;
    let last = 0;
    for (let k = 0; k < 50; k++) {
      const loss = step();
      last = loss.dataSync()[0];
      loss.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(firstLoss * 0.8);
    optimizer.dispose();
    tf.dispose([x, teacherLogits, labels, w]);
  });

  it('tf.variableGrads, with distillationLoss', () => {
    const { x, teacherLogits, labels } = batch();
    const w = tf.variable(tf.randomNormal([FEATURES, C], 0, 0.1, 'float32', 3));
    const step = () => {
      const { value, grads } = tf.variableGrads(() =>
        distillationLoss({ labels, studentLogits: tf.matMul(x, w), teacherLogits, weight: 2 }),
      );
      const loss = value.dataSync()[0];
      const updated = tf.tidy(() => tf.sub(w, tf.mul(grads[w.name], 0.05)));
      w.assign(updated);
      tf.dispose([value, grads[w.name], updated]);
      return loss;
    };
    const firstLoss = step();
    const before = tf.memory().numTensors;
    let last = firstLoss;
    for (let k = 0; k < 50; k++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(firstLoss);
    tf.dispose([x, teacherLogits, labels, w]);
  });

  it('model.fit with distLossFunction, teacher logits as targets', async () => {
    const { x, teacherLogits, labels } = batch();
    const model = tf.sequential({ layers: [tf.layers.dense({ units: C, inputShape: [FEATURES] })] });
    model.compile({ optimizer: tf.train.adam(0.05), loss: distLossFunction({ tau: 2 }) });
    await model.fit(x, teacherLogits, { epochs: 1, batchSize: B, verbose: 0 });
    const before = tf.memory().numTensors;
    const history = await model.fit(x, teacherLogits, { epochs: 30, batchSize: B, verbose: 0, shuffle: false });
    expect(tf.memory().numTensors).toBe(before);
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    model.dispose();
    tf.dispose([x, teacherLogits, labels]);
  });

  it('distLoss given a tf.losses-style weights tensor says what its third argument is', () => {
    const { x, teacherLogits, labels } = batch();
    const weights = tf.ones([B]);
    expect(() => distLoss(teacherLogits, teacherLogits, weights as never)).toThrow(
      expect.objectContaining({ code: 'BAD_OPTION', message: expect.stringMatching(/options object as its third argument, got a tensor/) }),
    );
    tf.dispose([x, teacherLogits, labels, weights]);
  });

  it('plain forward calls', () => {
    const { x, teacherLogits, labels } = batch();
    const student = x.slice([0, 0], [B, C]);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 100; k++) distLoss(teacherLogits, student).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, teacherLogits, labels, student]);
  });
});

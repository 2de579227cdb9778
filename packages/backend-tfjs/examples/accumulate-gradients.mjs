import * as tf from '@tensorflow/tfjs';
import { accumulateDistGradients, useTfjsPlatform } from '@dist-kd/backend-tfjs';

const { device } = await useTfjsPlatform('wasm');
console.log(`training on ${device}`);

// A toy task: a frozen teacher (a fixed linear map) and a student that learns from it.
const features = tf.randomNormal([256, 20], 0, 1, 'float32', 1);
const teacherLogits = tf.matMul(features, tf.randomNormal([20, 10], 0, 1, 'float32', 2));
const labels = tf.oneHot(tf.argMax(teacherLogits, 1), 10);
const student = tf.sequential({ layers: [tf.layers.dense({ units: 10, inputShape: [20] })] });
const optimizer = tf.train.adam(0.01);

// Each step's batch of 256 rows as 4 micro-batches of 64: one micro-batch's activations at a time.
const microBatches = [0, 64, 128, 192].map((start) => ({
  features: features.slice(start, 64),
  teacherLogits: teacherLogits.slice(start, 64),
  labels: labels.slice(start, 64),
}));

for (let step = 0; step <= 20; step++) {
  // The gradient of the whole batch's CE + 2 * DIST: DIST's intra term still sees all 256 rows.
  const { grads, loss } = await accumulateDistGradients(microBatches, {
    studentLogits: (batch) => student.predict(batch.features),
    teacherLogits: (batch) => batch.teacherLogits,
    rowLoss: (batch, logits) => tf.losses.softmaxCrossEntropy(batch.labels, logits),
    distWeight: 2,
    options: { tau: 4 },
  });
  optimizer.applyGradients(grads); // one optimizer step for the whole batch
  tf.dispose(Object.values(grads));
  if (step % 5 === 0) console.log(`step ${step}: loss ${loss.toFixed(4)}`);
}

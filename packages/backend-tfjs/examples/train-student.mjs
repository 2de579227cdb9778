import * as tf from '@tensorflow/tfjs';
import { distillationLoss, useTfjsPlatform } from '@dist-kd/backend-tfjs';

// Starts the best tfjs backend here (tfjs-node, WebGPU, WebGL, wasm, then cpu) and says which.
const { device } = await useTfjsPlatform('auto');
console.log(`training on ${device}`);

// A toy task: a frozen teacher (a fixed linear map) and a student that learns from it.
const features = tf.randomNormal([64, 20], 0, 1, 'float32', 1);
const teacherWeights = tf.randomNormal([20, 10], 0, 1, 'float32', 2);
const teacherLogits = tf.matMul(features, teacherWeights);
const labels = tf.argMax(teacherLogits, 1);
const student = tf.sequential({ layers: [tf.layers.dense({ units: 10, inputShape: [20] })] });
const optimizer = tf.train.adam(0.01);

for (let step = 0; step <= 100; step++) {
  // Cross-entropy on the labels + 2 * DIST(teacher, student), the CIFAR-100/ImageNet recipe.
  const loss = optimizer.minimize(
    () => distillationLoss({ labels, studentLogits: student.predict(features), teacherLogits, weight: 2, options: { tau: 4 } }),
    true,
  );
  if (step % 25 === 0) console.log(`step ${step}: loss ${loss.dataSync()[0].toFixed(4)}`);
  loss.dispose();
}

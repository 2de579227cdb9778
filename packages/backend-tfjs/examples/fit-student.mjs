import * as tf from '@tensorflow/tfjs';
import { distillationFit, useTfjsPlatform } from '@dist-kd/backend-tfjs';

await useTfjsPlatform('auto');

// A frozen teacher (a fixed linear map), its labels, and a student that learns from both.
const features = tf.randomNormal([256, 20], 0, 1, 'float32', 1);
const teacherLogits = tf.matMul(features, tf.randomNormal([20, 10], 0, 1, 'float32', 2));
const labels = tf.argMax(teacherLogits, 1);
const student = tf.sequential({ layers: [tf.layers.dense({ units: 10, inputShape: [20] })] });

// The student's logits as two outputs, one per term: fitting `model` trains `student`.
const { model, loss, targets } = distillationFit(student, { weight: 2, options: { tau: 4 } });
model.compile({ optimizer: tf.train.adam(0.01), loss });
const packed = targets(labels, teacherLogits); // [one-hot labels, teacher logits]
const { history } = await model.fit(features, packed, { epochs: 20, batchSize: 64, verbose: 0 });
tf.dispose(packed);

// loss = cross-entropy + 2 * DIST, each term logged on its own too.
const first = (name) => history[name][0].toFixed(4);
const last = (name) => history[name].at(-1).toFixed(4);
console.log(`loss ${first('loss')} -> ${last('loss')}`);
console.log(`cross-entropy ${first('distill_cross_entropy_loss')} -> ${last('distill_cross_entropy_loss')}`);
console.log(`2 * DIST ${first('distill_dist_loss')} -> ${last('distill_dist_loss')}`);

import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, NUM_CLASSES } from './mnist.js';

/**
 * A ReLU multilayer perceptron from 784 pixels to 10 logits. Dense layers only: the wasm backend of
 * tfjs 4.22 has no gradient kernels for convolutions (`Conv2DBackpropFilter` is not registered).
 * Every layer's kernel gets its own seed derived from `seed`, so a (seed, hidden) pair always
 * builds the same initial weights; biases start at zero.
 */
export function buildMlp(hidden: readonly number[], seed: number): tf.Sequential {
  const model = tf.sequential();
  const units = [...hidden, NUM_CLASSES];
  units.forEach((size, layer) => {
    const isOutput = layer === units.length - 1;
    model.add(
      tf.layers.dense({
        ...(layer === 0 ? { inputShape: [IMAGE_SIZE] } : {}),
        units: size,
        activation: isOutput ? 'linear' : 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: seed * 101 + layer }),
        biasInitializer: 'zeros',
      }),
    );
  });
  return model;
}

/** `784-h1-...-10`, the way the report names an architecture. */
export function describeMlp(hidden: readonly number[]): string {
  return [IMAGE_SIZE, ...hidden, NUM_CLASSES].join('-');
}

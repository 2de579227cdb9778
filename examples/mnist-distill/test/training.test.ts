import { useTfjsPlatform } from '@dist-kd/backend-tfjs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from '../src/losses.js';
import { IMAGE_SIZE } from '../src/mnist.js';
import { buildMlp } from '../src/models.js';
import { silentProgress } from '../src/progress.js';
import { createRandom } from '../src/random.js';
import { toTensors, train } from '../src/train.js';

beforeAll(async () => {
  await useTfjsPlatform('wasm');
});

// Two separable synthetic classes: enough to see that training moves and repeats exactly.
function syntheticSet(count: number, seed: number) {
  const random = createRandom(seed);
  const images = new Float32Array(count * IMAGE_SIZE);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < IMAGE_SIZE; p++) images[i * IMAGE_SIZE + p] = random() * 0.5 + (p < 392 === (labels[i] === 0) ? 0.5 : 0);
  }
  return toTensors({ images, labels, count });
}

describe('seeded training', () => {
  it('builds the same initial weights for a seed and different ones for another seed', async () => {
    const weightsOf = (seed: number) => buildMlp([8], seed).getWeights()[0].dataSync();
    expect(weightsOf(3)).toEqual(weightsOf(3));
    expect(weightsOf(3)).not.toEqual(weightsOf(4));
  });

  it('repeats a run exactly and learns a separable problem', async () => {
    const data = syntheticSet(256, 1);
    const validation = syntheticSet(128, 2);
    const run = () =>
      train(buildMlp([8], 5), data, validation, crossEntropy, { epochs: 3, batchSize: 32, learningRate: 1e-2 }, 9, silentProgress('t', 24));
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first[first.length - 1].validationAccuracy).toBeGreaterThan(0.95);
    expect(first[first.length - 1].trainLoss).toBeLessThan(first[0].trainLoss);
  });
});

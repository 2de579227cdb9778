#!/usr/bin/env node
/**
 * What uploading two [B, C] logit arrays costs on tfjs-webgpu, the two ways host-logits.ts weighs:
 *   tf.tensor2d       tfjs's upload (a staging buffer mapped for each upload), then add + sum read
 *   writeBuffer       queue.writeBuffer into kept buffers wrapped as tensors (zeroCopy), then the same
 *   on the GPU        the same add + sum on tensors already on the GPU (what neither upload costs)
 * and the whole DistBackend call with host arrays in and the gradient out. Median ms of 15 each.
 * From packages/backend-tfjs, after `pnpm build` (lavapipe: see ../backend-webgpu/scripts/vulkan-env.mjs):
 *   VK_ICD_FILENAMES=$PWD/../../.gl/lvp_icd.json node ../backend-webgpu/scripts/vulkan-env.mjs node scripts/upload-profile.mjs [BxC]
 */
import * as tf from '@tensorflow/tfjs';
import { createBackend, useTfjsPlatform } from '../dist/index.js';

const [B, C] = (process.argv[2] ?? '1024x1000').split('x').map(Number);
await useTfjsPlatform('webgpu');
const student = Float32Array.from({ length: B * C }, (_, k) => 3 * Math.sin(k * 0.37));
const teacher = Float32Array.from({ length: B * C }, (_, k) => 3 * Math.cos(k * 0.91));

async function median(run) {
  const times = [];
  for (let k = 0; k < 16; k++) {
    const start = performance.now();
    await run();
    if (k > 0) times.push(performance.now() - start); // the first call warms up
  }
  return Number(times.sort((a, b) => a - b)[Math.floor(times.length / 2)].toFixed(2));
}

async function addAndRead(a, b) {
  const sum = tf.tidy(() => tf.sum(tf.add(a, b)));
  await sum.data();
  sum.dispose();
}

const device = tf.backend().device;
const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const kept = [0, 1].map(() => device.createBuffer({ size: B * C * 4, usage }));
const resident = [tf.tensor2d(student, [B, C]), tf.tensor2d(teacher, [B, C])];
const backend = createBackend({ variant: 'webgpu' });

const result = {
  size: `${B}x${C}`,
  adapter: (await navigator.gpu.requestAdapter())?.info?.description,
  'tf.tensor2d': await median(async () => {
    const a = tf.tensor2d(student, [B, C]);
    const b = tf.tensor2d(teacher, [B, C]);
    await addAndRead(a, b);
    tf.dispose([a, b]);
  }),
  writeBuffer: await median(async () => {
    device.queue.writeBuffer(kept[0], 0, student);
    device.queue.writeBuffer(kept[1], 0, teacher);
    const a = tf.tensor({ buffer: kept[0], zeroCopy: true }, [B, C], 'float32');
    const b = tf.tensor({ buffer: kept[1], zeroCopy: true }, [B, C], 'float32');
    await addAndRead(a, b);
    tf.dispose([a, b]);
  }),
  'on the GPU': await median(() => addAndRead(resident[0], resident[1])),
  'DistBackend call, host arrays': await median(() => backend.compute({ student, teacher, shape: [B, C], gradient: true })),
};
console.log(JSON.stringify(result));
await backend.dispose();
process.exit(0);

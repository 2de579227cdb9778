/**
 * The logit tensors of one DistBackend call made from host arrays.
 *
 * On tfjs-webgpu, `tf.tensor2d` uploads each tensor through a staging buffer that tfjs creates
 * mapped for that one upload: on lavapipe at 1024x1000, two such uploads took 7.3 ms, and two
 * writeBuffers 1.3 ms (`scripts/upload-profile.mjs`, its output in
 * docs/bench/session9/upload-profile-lavapipe.jsonl). Here the values go through
 * `queue.writeBuffer` into buffers kept for the next call of the same size, wrapped as tensors
 * without a copy (`zeroCopy`: tfjs then leaves the buffers to their owner). On tfjs-webgl the
 * values go straight into packed textures (`webgl/host-textures.ts`). Other tfjs backends take the
 * arrays as they are.
 */
import * as tf from '@tensorflow/tfjs';
import { BufferUsage, writableFloat32 } from '@dist-kd/kernel-wgsl';
import { packedTextureTensor } from './webgl/host-textures.js';

export interface HostLogits {
  readonly student: tf.Tensor2D;
  readonly teacher: tf.Tensor2D;
  /** Disposes the tensors. Call it once the work that reads them has finished (the call's reads awaited). */
  dispose(): void;
}

/** The parts of tfjs-backend-webgpu 4.x's WebGPUBackend used here. */
interface WebGpuBackendLike {
  readonly device: GPUDevice;
}

/** Buffer pairs kept per device, by byte size: a few shapes (train and eval batches) fit. */
const SIZES_KEPT = 4;
const idle = new WeakMap<GPUDevice, Map<number, GPUBuffer[]>>();

export function hostLogits(student: Float32Array, teacher: Float32Array, shape: [number, number]): HostLogits {
  const backend = tf.backend() as unknown as Partial<WebGpuBackendLike>;
  if (tf.getBackend() !== 'webgpu' || !backend.device) {
    const tensor = (values: Float32Array) => packedTextureTensor(values, shape) ?? tf.tensor2d(values, shape);
    const tensors = { student: tensor(student), teacher: tensor(teacher) };
    return { ...tensors, dispose: () => tf.dispose([tensors.student, tensors.teacher]) };
  }
  const device = backend.device;
  const bytes = student.byteLength;
  const buffers = takeBuffers(device, bytes);
  device.queue.writeBuffer(buffers[0], 0, writableFloat32(student));
  device.queue.writeBuffer(buffers[1], 0, writableFloat32(teacher));
  const wrap = (buffer: GPUBuffer) => tf.tensor({ buffer, zeroCopy: true }, shape, 'float32') as tf.Tensor2D;
  const tensors = { student: wrap(buffers[0]), teacher: wrap(buffers[1]) };
  let disposed = false;
  return {
    ...tensors,
    dispose() {
      if (disposed) return;
      disposed = true;
      tf.dispose([tensors.student, tensors.teacher]);
      giveBack(device, bytes, buffers);
    },
  };
}

/**
 * An idle pair of this size, or a new one. A pair is idle only between calls: overlapping calls
 * each get their own, so no call's writeBuffer reaches buffers that another call's work still reads.
 */
function takeBuffers(device: GPUDevice, bytes: number): GPUBuffer[] {
  const pool = idle.get(device);
  const kept = pool?.get(bytes);
  if (kept) {
    pool!.delete(bytes);
    return kept;
  }
  const usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
  // The tensor's exact size, as tfjs's own buffers have it (tfjs reads a buffer back whole).
  return [0, 1].map(() => device.createBuffer({ label: 'dist-kd host logits', size: bytes, usage }));
}

function giveBack(device: GPUDevice, bytes: number, buffers: GPUBuffer[]): void {
  let pool = idle.get(device);
  if (!pool) idle.set(device, (pool = new Map()));
  if (pool.has(bytes)) {
    // Another call of this size left its pair first: one pair per size is kept.
    for (const buffer of buffers) buffer.destroy();
    return;
  }
  if (pool.size >= SIZES_KEPT) {
    const [oldest, evicted] = pool.entries().next().value!;
    pool.delete(oldest);
    for (const buffer of evicted) buffer.destroy();
  }
  pool.set(bytes, buffers);
}

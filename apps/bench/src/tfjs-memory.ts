/**
 * What tfjs can tell about the memory of a tfjs subject after its case: the live tensors in tfjs's
 * engine (one per process or page, shared by every tfjs subject), and on a GPU backend what
 * `tf.memory()` reports of GPU memory, with tfjs-webgpu's buffer counts (its public `bufferManager`).
 * tfjs-webgl keeps its texture counts private: bytes only there.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MemoryUse } from './report.js';

/** The fields of `tf.memory()` that tfjs-webgpu (numBytesAllocatedInGPU) and tfjs-webgl (numBytesInGPUAllocated) add. */
interface GpuMemoryInfo {
  readonly numBytesInGPU?: number;
  readonly numBytesAllocatedInGPU?: number;
  readonly numBytesInGPUAllocated?: number;
}

/** tfjs-webgpu's buffer pool (public on its MathBackendWebGPU). */
interface BufferPool {
  readonly bufferManager?: { getNumUsedBuffers?(): number; getNumFreeBuffers?(): number };
}

/**
 * The memory of tfjs backend `tfjsBackend` (as `tf.getBackend()` names it), read only while it is
 * the active one (`tf.memory()` describes the active backend); the tensor count either way.
 */
export function tfjsMemory(tfjsBackend: string): MemoryUse {
  const info = tf.memory() as tf.MemoryInfo & GpuMemoryInfo;
  const memory: { -readonly [K in keyof MemoryUse]: MemoryUse[K] } = { tfjs_tensors: info.numTensors };
  if (tf.getBackend() !== tfjsBackend) return memory;
  if (info.numBytesInGPU !== undefined) memory.gpu_bytes_in_use = info.numBytesInGPU;
  const allocated = info.numBytesAllocatedInGPU ?? info.numBytesInGPUAllocated;
  if (allocated !== undefined) memory.gpu_bytes_allocated = allocated;
  const pool = (tf.backend() as unknown as BufferPool).bufferManager;
  if (typeof pool?.getNumUsedBuffers === 'function') memory.gpu_buffers_in_use = pool.getNumUsedBuffers();
  if (typeof pool?.getNumFreeBuffers === 'function') memory.gpu_buffers_free = pool.getNumFreeBuffers();
  return memory;
}

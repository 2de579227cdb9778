// The declarations name WebGPU's types (GPUDevice, GPUBuffer); this makes them resolve for a
// consumer whose tsconfig does not list @webgpu/types (a dependency of this package).
/// <reference types="@webgpu/types" preserve="true" />
/**
 * `@dist-kd/backend-webgpu/tfjs`: DIST on tensors of @tensorflow/tfjs-backend-webgpu without a trip
 * through host memory. The kernels run on tfjs's own GPUDevice; the logits are copied GPU-to-GPU
 * out of the tensors (tfjs's `dataToGPU`), and the gradient comes back as a tfjs tensor built from a
 * GPUBuffer, ready for a tfjs training step. Only the loss scalars are read back.
 *
 * The main entry has no tfjs dependency; this one needs @tensorflow/tfjs-core and
 * @tensorflow/tfjs-backend-webgpu (optional peer dependencies) with the `webgpu` backend active.
 */
import { BackendRuntimeError, checkTauRange, DistInputError, resolveOptions, type DistOptions } from '@dist-kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { createBackend, type WebGpuBackend, type WebGpuBackendConfig } from './backend.js';

export interface TfjsDistResult {
  readonly loss: number;
  readonly inter: number;
  readonly intra: number;
  /** dloss/dstudent as a float32 tensor on the webgpu backend; dispose it when done. */
  readonly gradient?: tf.Tensor2D;
}

/** The parts of tfjs-backend-webgpu's WebGPUBackend this module uses. */
interface TfjsWebGpuBackend {
  readonly device: GPUDevice;
  uploadToGPU(dataId: object): void;
}

export interface TfjsDist {
  /** Loss, unscaled inter/intra and (unless `gradient: false`) the gradient as a tensor. */
  compute(
    student: tf.Tensor,
    teacher: tf.Tensor,
    options?: Partial<DistOptions>,
    request?: { gradient?: boolean },
  ): Promise<TfjsDistResult>;
  dispose(): Promise<void>;
}

/**
 * Binds the DIST kernels to the active tfjs webgpu backend's device. Call after
 * `await tf.setBackend('webgpu')`.
 *
 * @deprecated Use `distLoss` / `distillationLoss` / `distLossFunction` from `@dist-kd/backend-tfjs`:
 * on tfjs-webgpu they run the same kernels as a registered tfjs kernel, differentiable and with no
 * readback. This asynchronous door stays for existing callers until the next major version.
 */
export async function createTfjsDist(config: Omit<WebGpuBackendConfig, 'device' | 'gpu'> = {}): Promise<TfjsDist> {
  await tf.ready();
  if (tf.getBackend() !== 'webgpu') {
    throw new BackendRuntimeError(
      'webgpu',
      `the active tfjs backend is "${tf.getBackend()}"; import @tensorflow/tfjs-backend-webgpu and await tf.setBackend('webgpu') first`,
    );
  }
  const tfBackend = tf.backend() as unknown as TfjsWebGpuBackend;
  const backend: WebGpuBackend = createBackend({ ...config, device: tfBackend.device });

  return {
    async compute(student, teacher, options, request = {}) {
      const shape = checkTensors(student, teacher);
      const resolved = resolveOptions(options);
      checkTauRange(resolved, 'float32');
      const studentData = gpuData(tfBackend, student);
      const teacherData = gpuData(tfBackend, teacher);
      try {
        const result = await backend.computeOnDevice({
          student: studentData.buffer,
          teacher: teacherData.buffer,
          shape,
          options: resolved,
          gradient: request.gradient !== false,
        });
        if (!result.gradient) return { loss: result.loss, inter: result.inter, intra: result.intra };
        // tfjs copies the buffer into its own pool (a GPU copy), so ours can go at once.
        const gradient = tf.tensor({ buffer: result.gradient }, shape, 'float32') as tf.Tensor2D;
        result.gradient.destroy();
        return { loss: result.loss, inter: result.inter, intra: result.intra, gradient };
      } finally {
        studentData.tensorRef.dispose();
        teacherData.tensorRef.dispose();
      }
    },
    dispose: () => backend.dispose(),
  };
}

function checkTensors(student: tf.Tensor, teacher: tf.Tensor): [number, number] {
  for (const [which, t] of [
    ['student', student],
    ['teacher', teacher],
  ] as const) {
    // The codes backend-tfjs's distLoss uses for the same mistakes.
    if (t.rank !== 2) {
      throw new DistInputError('BAD_SHAPE', `${which} must be a tensor of shape [B, C], got shape [${t.shape.join(', ')}]`);
    }
    if (t.dtype !== 'float32') {
      throw new DistInputError('BAD_INPUT_TYPE', `${which} must be float32, got ${t.dtype}; cast it with tf.cast(x, 'float32')`);
    }
  }
  const [batch, classes] = student.shape as [number, number];
  if (teacher.shape[0] !== batch || teacher.shape[1] !== classes) {
    throw new DistInputError(
      'SHAPE_MISMATCH',
      `student is [${student.shape.join(', ')}] but teacher is [${teacher.shape.join(', ')}]; both must be [B, C]`,
    );
  }
  if (batch === 0 || classes === 0) {
    throw new DistInputError('EMPTY', `the logits are empty ([${batch}, ${classes}]); DIST needs at least one sample and one class`);
  }
  return [batch, classes];
}

/** A GPU copy of the tensor's data; tensors created from host values are uploaded first. */
function gpuData(backend: TfjsWebGpuBackend, t: tf.Tensor): { buffer: GPUBuffer; tensorRef: tf.Tensor } {
  backend.uploadToGPU(t.dataId);
  const data = t.dataToGPU();
  if (!data.buffer) throw new BackendRuntimeError('webgpu', 'tfjs returned no GPUBuffer for a webgpu tensor');
  return { buffer: data.buffer, tensorRef: data.tensorRef };
}

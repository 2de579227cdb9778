/**
 * The host side of the WebAssembly SIMD kernel (`assembly/`): one module instance per process, fed
 * float32 logits and read back into caller-provided arrays. Used by the tfjs kernels registered for
 * the wasm and cpu backends, whose tensors are plain memory in this process.
 */
import { BackendRuntimeError, logitLimit, type DistOptions } from '@dist-kd/core';
import { DIST_KERNEL_WASM } from '../generated/dist-kernel-wasm.js';

interface KernelExports {
  readonly memory: WebAssembly.Memory;
  prepare(batch: number, classes: number): void;
  studentOffset(): number;
  teacherOffset(): number;
  gradientOffset(): number;
  rowStride(): number;
  forward(log2eOverTau: number, eps: number, epsInside: number, limit: number): number;
  intra(): number;
  backward(rowScale: number, colScale: number): void;
}

export interface SimdTerms {
  readonly loss: number;
  readonly inter: number;
  readonly intra: number;
}

let instance: KernelExports | undefined;
let loadError: Error | undefined;

/**
 * The kernel, compiled on first use (a few kilobytes, so synchronous compilation is allowed on a
 * browser's main thread too), or undefined where this WebAssembly engine lacks SIMD; `simdKernelError`
 * then says why.
 */
export function simdKernel(): SimdKernel | undefined {
  if (!instance && !loadError) {
    try {
      const bytes = Uint8Array.from(atob(DIST_KERNEL_WASM), (c) => c.charCodeAt(0));
      const module = new WebAssembly.Module(bytes);
      instance = new WebAssembly.Instance(module, { env: { abort: abortFromKernel } }).exports as unknown as KernelExports;
    } catch (error) {
      loadError = error as Error;
    }
  }
  return instance ? kernel : undefined;
}

export function simdKernelError(): Error | undefined {
  return loadError;
}

function abortFromKernel(): never {
  throw new Error('the DIST SIMD kernel aborted');
}

export interface SimdKernel {
  /**
   * DIST of [batch, classes] float32 logits; the loss is NaN when a logit is not finite or beyond
   * core's `logitLimit`, as `validateRequest`'s deferred mode requires. With `gradientTarget`, also writes dloss/dstudent
   * (for an upstream gradient of 1) into the array it returns, which it is asked for only after the
   * logits were copied in: the logits may be views of memory that allocating the target moves.
   */
  run(
    student: Float32Array,
    teacher: Float32Array,
    batch: number,
    classes: number,
    options: DistOptions,
    gradientTarget?: () => Float32Array,
  ): SimdTerms;
}

const kernel: SimdKernel = {
  run(student, teacher, batch, classes, options, gradientTarget) {
    const k = instance!;
    try {
      k.prepare(batch, classes);
    } catch (error) {
      const megabytes = Math.ceil((5 * batch * classes * 4) / 2 ** 20);
      throw new BackendRuntimeError(
        'tfjs',
        `the DIST SIMD kernel could not get ${megabytes} MiB of WebAssembly memory for [${batch}, ${classes}] logits; ` +
          'split the batch into smaller ones',
        { cause: error },
      );
    }
    const stride = k.rowStride();
    // A view taken after `prepare`, which may have grown (and so replaced) the memory's buffer.
    const memory = new Float32Array(k.memory.buffer);
    copyRows(student, classes, memory, k.studentOffset() >> 2, stride, batch);
    copyRows(teacher, classes, memory, k.teacherOffset() >> 2, stride, batch);
    const epsInside = options.epsMode === 'design-note' ? options.eps : 0;
    const inter = k.forward(Math.LOG2E / options.tau, options.eps, epsInside, float32AtMost(logitLimit('float32', options.tau)));
    const intra = k.intra();
    if (gradientTarget) {
      k.backward((options.beta * options.tau) / batch, (options.gamma * options.tau) / classes);
      copyRows(memory.subarray(k.gradientOffset() >> 2), stride, gradientTarget(), 0, classes, batch);
    }
    const scale = options.tau * options.tau;
    return { loss: options.beta * scale * inter + options.gamma * scale * intra, inter, intra };
  },
};

/** The largest float32 not above `value`, so that the kernel's float32 comparison is as strict. */
function float32AtMost(value: number): number {
  const rounded = Math.fround(value);
  if (rounded <= value) return rounded;
  const bits = new Float32Array([rounded]);
  const view = new Int32Array(bits.buffer);
  view[0] += rounded > 0 ? -1 : 1;
  return bits[0];
}

/** Copies `rows` rows `fromStride` floats apart into rows `toStride` floats apart from `toStart`. */
function copyRows(
  from: Float32Array,
  fromStride: number,
  to: Float32Array,
  toStart: number,
  toStride: number,
  rows: number,
): void {
  const classes = Math.min(fromStride, toStride);
  if (fromStride === toStride) {
    to.set(from.subarray(0, rows * classes), toStart);
    return;
  }
  for (let i = 0; i < rows; i++) {
    to.set(from.subarray(i * fromStride, i * fromStride + classes), toStart + i * toStride);
  }
}

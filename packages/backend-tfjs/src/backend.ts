/**
 * The tfjs backends behind core's `DistBackend` interface: `createBackend({ variant })` with the
 * variants auto, node, wasm, cpu, webgl, webgpu (the loss as this package computes it: the SIMD
 * kernel on wasm and cpu, fused tfjs ops elsewhere), ops-wasm and ops-cpu (the fused tfjs ops on
 * wasm and cpu, for comparison), and naive-wasm, naive-cpu, naive-webgpu, naive-webgl (the design note's formula
 * in tfjs ops, gradient by `tf.grad`: the baseline).
 */
import * as tf from '@tensorflow/tfjs';
import {
  BackendLifecycle,
  BackendRuntimeError,
  BackendUnavailableError,
  checkLogitValues,
  checkMemory,
  copyLogits,
  unknownVariantError,
  validateRequest,
  withRowSelection,
  type Availability,
  type BackendConfig,
  type BoundCalls,
  type BoundDist,
  type DistBackend,
  type DistBinding,
  type DistInput,
  type DistOptions,
  type DistRequest,
  type DistResult,
  type DistTerms,
  type MemoryLimit,
  type MemoryModel,
} from '@dist-kd/core';
import { distPass, runsDistKernel, type DistImplementation } from './dist-pass.js';
import { DIST_KERNEL_NAME } from './kernels/dist-kernel.js';
import { distKernelConfig } from './kernels/register-all.js';
import { naiveDist } from './naive-dist.js';
import { cpuDistKernel, wasmDistKernel } from './simd/tfjs-kernel.js';
import { degenerate } from './tensor-checks.js';
import { activate, startPlatform, TFJS_PLATFORMS, type ReadyPlatform, type TfjsPlatformChoice } from './tfjs-platform.js';

const NAIVE_PREFIX = 'naive-';
const NAIVE_PLATFORMS: readonly TfjsPlatformChoice[] = ['wasm', 'cpu', 'webgpu', 'webgl'];
/** Where the SIMD kernel would serve, so that forcing tfjs ops makes a different variant. */
const OPS_PREFIX = 'ops-';
const OPS_PLATFORMS: readonly TfjsPlatformChoice[] = ['wasm', 'cpu'];

export const TFJS_VARIANTS: readonly string[] = [
  'auto',
  ...TFJS_PLATFORMS,
  ...OPS_PLATFORMS.map((platform) => OPS_PREFIX + platform),
  ...NAIVE_PLATFORMS.map((platform) => NAIVE_PREFIX + platform),
];

/**
 * The variants besides the default (`auto`), which core's `listBackends` turns into the backend
 * names `tfjs-<variant>` (`tfjs-wasm`, `tfjs-naive-webgl`, ...).
 */
export const VARIANTS: readonly string[] = TFJS_VARIANTS.filter((variant) => variant !== 'auto');

/** Tensors holding a result on the tfjs side, read back once. */
interface Terms {
  readonly loss: tf.Tensor;
  readonly inter: tf.Tensor;
  readonly intra: tf.Tensor;
  readonly gradient?: tf.Tensor;
}

type Compute = (student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions, gradient: boolean) => Terms;

export function createBackend(config: BackendConfig = {}): DistBackend {
  const variant = config.variant ?? 'auto';
  if (!TFJS_VARIANTS.includes(variant)) throw unknownVariantError('tfjs', variant, TFJS_VARIANTS);
  const naive = variant.startsWith(NAIVE_PREFIX);
  const implementation: DistImplementation = variant.startsWith(OPS_PREFIX) ? 'ops' : 'auto';
  const platform = variant.replace(NAIVE_PREFIX, '').replace(OPS_PREFIX, '') as TfjsPlatformChoice;
  const name = variant === 'auto' ? 'tfjs' : `tfjs-${variant}`;
  const compute: Compute = naive ? naiveTerms : fusedTerms(implementation);
  const checkGradient = naive ? rejectNaiveNaN(name) : undefined;
  const lifecycle = new BackendLifecycle(name);
  // The platform once it started: `auto` would otherwise probe its candidates again on every call.
  let started: ReadyPlatform | undefined;

  const ready = async (): Promise<ReadyPlatform> => {
    if (started) return started;
    try {
      started = await startPlatform(platform);
      return started;
    } catch (error: unknown) {
      if (error instanceof BackendUnavailableError && error.backend !== name) {
        throw new BackendUnavailableError(name, error.reason, error.hint);
      }
      throw error;
    }
  };

  /**
   * The platform when it is running and is tfjs's active backend, so that a call can put the
   * caller's arrays into tensors before its first await; undefined when it has to wait for it.
   */
  const activeNow = (): ReadyPlatform | undefined => (started && tf.getBackend() === started.tfjsBackend ? started : undefined);

  /**
   * The checks of the platform: the logits' values unless the SIMD kernel turns a bad one into a NaN
   * loss, and, where the SIMD kernel runs, its memory, before anything is allocated.
   */
  const checkInput = (input: DistInput, ready: ReadyPlatform): void => {
    const kernel = !naive && runsDistKernel(implementation, ready.tfjsBackend, input.options);
    if (!kernel) checkLogitValues(input, 'float32');
    else if (SIMD_KERNEL_BACKENDS.includes(ready.tfjsBackend)) checkMemory(name, simdKernelMemory(ready.tfjsBackend, input.classes), input.batch, input.classes, simdMemoryLimit(ready.tfjsBackend, config.memoryLimitBytes));
  };

  return withRowSelection({
    name,
    precision: 'float32',
    // Sigmoid runs through the WGSL kernels on webgpu and as the fused tfjs ops elsewhere (the SIMD
    // and WebGL kernels are softmax only); the naive baseline is the design note's softmax formula
    // and nothing else.
    supports: { sigmoid: !naive },
    async availability(): Promise<Availability> {
      try {
        const started = await ready();
        const computedBy = naive ? 'naive baseline (tf.grad)' : describeImplementation(implementation, started.tfjsBackend);
        return {
          available: true,
          device: `${started.device}, ${computedBy}`,
          details: { ...started.details, tfjsBackend: started.tfjsBackend, computedBy },
        };
      } catch (error) {
        const { reason, hint } = error as BackendUnavailableError;
        return { available: false, reason: reason ?? String(error), ...(hint ? { hint } : {}) };
      }
    },
    compute(request: DistRequest): Promise<DistResult> {
      return lifecycle.run(async () => {
        const input = validateRequest(request, 'float32', { values: 'deferred' });
        // The contract: the caller's arrays are read before compute returns. A running, active
        // platform takes them into tensors now; otherwise copies hold them until it is ready.
        const now = activeNow();
        if (now) {
          checkInput(input, now);
          return run(input, compute, checkGradient);
        }
        const own = copyLogits(input);
        const later = await ready();
        // tfjs has one active backend per process: make this one active for the computation.
        await activate(later);
        checkInput(own, later);
        return run(own, compute, checkGradient);
      });
    },
    bind(binding: DistBinding): Promise<BoundDist> {
      return lifecycle.run(async () => {
        // The values are checked once here, so no call needs to; the copies are the binding's own.
        const input = copyLogits(validateRequest({ ...binding, gradient: false }, 'float32'));
        const platform = await ready();
        await activate(platform);
        // Bound calls compute with the gradient: checked as such once, here.
        if (!naive && runsDistKernel(implementation, platform.tfjsBackend, input.options) && SIMD_KERNEL_BACKENDS.includes(platform.tfjsBackend)) {
          checkMemory(name, simdKernelMemory(platform.tfjsBackend, input.classes), input.batch, input.classes, simdMemoryLimit(platform.tfjsBackend, config.memoryLimitBytes));
        }
        return lifecycle.bind(bindTensors(input, platform, compute, checkGradient));
      });
    },
    dispose: () => lifecycle.dispose(() => undefined),
  });
}

/** The tfjs backends whose DIST kernel is the SIMD kernel, in WebAssembly memory. */
const SIMD_KERNEL_BACKENDS: readonly string[] = [wasmDistKernel.backendName, cpuDistKernel.backendName];

/** The largest WebAssembly (wasm32) memory: tfjs-wasm's heap (getHeapMax) and the kernel's own memory on tfjs-cpu. */
const WASM32_MEMORY_BYTES = 4294901760;

/**
 * What one call of the SIMD kernel holds in WebAssembly memory: its scratch (16 bytes per logit, 80
 * per row and 140 per class on one thread: kernel-wasm's batch, thread and statistics regions, assembly/layout.ts), the two
 * logit tensors and the gradient (12 bytes per logit), and the kernel's row-padded copies of those
 * three when they are not used in place (tfjs-cpu's tensors are JavaScript arrays; on wasm, C not a
 * multiple of 4).
 */
function simdKernelMemory(tfjsBackend: string, classes: number): MemoryModel {
  const copied = tfjsBackend !== 'wasm' || classes % 4 !== 0;
  return { perElement: 16 + 12 + (copied ? 12 : 0), perRow: 80, perClass: 140 };
}

/** The WebAssembly memory left for a call: the wasm heap less the tensors already in it, or `override`. */
function simdMemoryLimit(tfjsBackend: string, override: number | undefined): MemoryLimit {
  if (override !== undefined) return { bytes: override, what: 'memoryLimitBytes' };
  if (tfjsBackend !== 'wasm') return { bytes: WASM32_MEMORY_BYTES, what: "the SIMD kernel's WebAssembly memory (4 GiB)" };
  const inUse = tf.memory().numBytes;
  return { bytes: WASM32_MEMORY_BYTES - inUse, what: `tfjs-wasm's WebAssembly heap (4 GiB, of which ${(inUse / 2 ** 20).toFixed(0)} MiB hold tensors)` };
}

/** What computes DIST on this tfjs backend, for reports. */
function describeImplementation(implementation: DistImplementation, tfjsBackend: string): string {
  const config = distKernelConfig(tfjsBackend);
  if (runsDistKernel(implementation, tfjsBackend)) return config?.description ?? `the ${DIST_KERNEL_NAME} kernel registered for ${tfjsBackend}`;
  const missing = implementation === 'auto' ? config?.unavailableReason() : undefined;
  return missing ? `fused tfjs ops (${missing})` : 'fused tfjs ops';
}

/** Tensors of one call: the three scalars stacked, and the gradient when asked for. */
type CallTensors = { readonly scalars: tf.Tensor; readonly gradient?: tf.Tensor };

function callTensors(compute: Compute, student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions, gradient: boolean): CallTensors {
  return tf.tidy(() => {
    const terms = compute(student, teacher, options, gradient);
    return { scalars: tf.stack([terms.loss, terms.inter, terms.intra]), gradient: terms.gradient };
  });
}

/**
 * Reads the scalars (`data()` rather than `dataSync()`: tfjs-webgpu in Node can only read
 * asynchronously); a loss that is not finite becomes the error that explains it.
 */
async function readTerms(scalars: tf.Tensor, input: DistInput): Promise<DistTerms> {
  const [loss, inter, intra] = await scalars.data();
  if (!Number.isFinite(loss)) {
    // Says which logit was bad when the values were not checked before; else eps = 0 met a constant vector.
    checkLogitValues(input, 'float32');
    throw degenerate(input.options);
  }
  return { loss, inter, intra };
}

/** The gradient in the array type `DistResult.gradient` promises for this input. */
async function readGradient(
  gradient: tf.Tensor,
  input: DistInput,
  checkGradient?: (gradient: Float32Array | Float64Array) => void,
): Promise<Float32Array | Float64Array> {
  // tfjs hands back a fresh Float32Array: return it as is when the student was float32 too.
  const values = (await gradient.data()) as Float32Array;
  const result = input.student instanceof Float32Array ? values : Float64Array.from(values);
  checkGradient?.(result);
  return result;
}

async function run(
  input: DistInput,
  compute: Compute,
  checkGradient?: (gradient: Float32Array | Float64Array) => void,
): Promise<DistResult> {
  const shape: [number, number] = [input.batch, input.classes];
  const tensors = tf.tidy(() => {
    const student = tf.tensor2d(toFloat32(input.student), shape);
    const teacher = tf.tensor2d(toFloat32(input.teacher), shape);
    return callTensors(compute, student, teacher, input.options, input.gradient);
  });
  try {
    // Both reads start at once: on a GPU backend they then wait for the device once, not twice.
    const termsRead = readTerms(tensors.scalars, input);
    const gradientRead = tensors.gradient ? readGradient(tensors.gradient, input, checkGradient) : undefined;
    // The terms' error (a bad input) comes first; the gradient's is then moot.
    gradientRead?.catch(() => undefined);
    const terms = await termsRead;
    const gradient = await gradientRead;
    return gradient ? { ...terms, gradient } : terms;
  } finally {
    tensors.scalars.dispose();
    tensors.gradient?.dispose();
  }
}

/** The logits as tensors kept for repeated calls, each call's gradient kept until the next. */
function bindTensors(
  input: DistInput,
  platform: ReadyPlatform,
  compute: Compute,
  checkGradient?: (gradient: Float32Array | Float64Array) => void,
): BoundCalls {
  const shape: [number, number] = [input.batch, input.classes];
  // The input's logits are copies of the caller's (copyLogits), which the tensors may keep
  // (tfjs-cpu keeps a Float32Array by reference).
  const student = tf.tensor2d(toFloat32(input.student), shape);
  const teacher = tf.tensor2d(toFloat32(input.teacher), shape);
  let gradient: tf.Tensor | undefined;
  return {
    async compute(withGradient) {
      await activate(platform);
      gradient?.dispose();
      gradient = undefined;
      const tensors = callTensors(compute, student, teacher, input.options, withGradient);
      gradient = tensors.gradient;
      try {
        return await readTerms(tensors.scalars, input);
      } finally {
        tensors.scalars.dispose();
      }
    },
    readGradient: () => readGradient(gradient!, input, checkGradient),
    release() {
      tf.dispose([student, teacher, ...(gradient ? [gradient] : [])]);
      gradient = undefined;
    },
  };
}

function toFloat32(values: Float32Array | Float64Array): Float32Array {
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

/** The fused forward, and its analytic backward straight after (no tape needed). */
function fusedTerms(implementation: DistImplementation): Compute {
  return (student, teacher, options, gradient) => {
    const pass = distPass(student, teacher, options, { gradient, implementation });
    const { loss, inter, intra } = pass;
    return gradient ? { loss, inter, intra, gradient: pass.backward(pass.saved) } : { loss, inter, intra };
  };
}

/**
 * The naive port differentiates sqrt at 0 (infinite) when a row or column has zero variance and eps
 * is not inside the root, which turns the gradient into NaN; say so rather than return it.
 */
function rejectNaiveNaN(name: string): (gradient: Float32Array | Float64Array) => void {
  return (gradient) => {
    if (gradient.every(Number.isFinite)) return;
    throw new BackendRuntimeError(
      name,
      "tf.grad through the naive formula gave a non-finite gradient (sqrt'(0) is infinite for a zero-variance " +
        'row or column when eps is outside the square root); the fused variants use its limit instead',
    );
  };
}

/** The baseline: forward by the formula, gradient by `tf.grad` through it. */
function naiveTerms(student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions, gradient: boolean): Terms {
  if (!gradient) return naiveDist(student, teacher, options);
  let kept: { inter: tf.Scalar; intra: tf.Scalar } | undefined;
  const { value, grad } = tf.valueAndGrad((s: tf.Tensor2D) => {
    const terms = naiveDist(s, teacher, options);
    // The tape's scope disposes everything but the loss: keep the two terms it reports too.
    kept = { inter: tf.keep(terms.inter), intra: tf.keep(terms.intra) };
    return terms.loss;
  })(student);
  const { inter, intra } = kept!;
  // Hand the kept terms back to the caller's tidy scope, which disposes them after the read.
  const terms = { loss: value as tf.Scalar, inter: tf.clone(inter), intra: tf.clone(intra), gradient: grad as tf.Tensor2D };
  inter.dispose();
  intra.dispose();
  return terms;
}

/**
 * The tfjs backends behind core's `DistBackend` interface: `createBackend({ variant })` with the
 * variants auto, node, wasm, cpu, webgl, webgpu (the loss as this package computes it: the SIMD
 * kernel on wasm and cpu, fused tfjs ops elsewhere), ops-wasm and ops-cpu (the fused tfjs ops on
 * wasm and cpu, for comparison). The naive baseline the bench compares these with is the bench's
 * own (apps/bench), not a variant of this package.
 */
import * as tf from '@tensorflow/tfjs';
import {
  BackendLifecycle,
  BackendUnavailableError,
  checkLogitValues,
  checkMemory,
  memoryLimitOverride,
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
import { tfjsShards } from './backend-shards.js';
import { hostLogits } from './host-logits.js';
import { distPass, runsDistKernel, type DistImplementation } from './dist-pass.js';
import { DIST_KERNEL_NAME } from './kernels/dist-kernel.js';
import { distKernelConfig } from './kernels/register-all.js';
import { cpuDistKernel, wasmDistKernel } from './simd/tfjs-kernel.js';
import { degenerate } from './tensor-checks.js';
import { readPackedTexture } from './webgl/host-textures.js';
import { activate, startPlatform, TFJS_PLATFORMS, type ReadyPlatform, type TfjsPlatformChoice } from './tfjs-platform.js';

/** Where the SIMD kernel would serve, so that forcing tfjs ops makes a different variant. */
const OPS_PREFIX = 'ops-';
const OPS_PLATFORMS: readonly TfjsPlatformChoice[] = ['wasm', 'cpu'];

export const TFJS_VARIANTS: readonly string[] = [
  'auto',
  ...TFJS_PLATFORMS,
  ...OPS_PLATFORMS.map((platform) => OPS_PREFIX + platform),
];

/**
 * The variants besides the default (`auto`), which core's `listBackends` turns into the backend
 * names `tfjs-<variant>` (`tfjs-wasm`, `tfjs-ops-cpu`, ...).
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
  const implementation: DistImplementation = variant.startsWith(OPS_PREFIX) ? 'ops' : 'auto';
  const platform = variant.replace(OPS_PREFIX, '') as TfjsPlatformChoice;
  const name = variant === 'auto' ? 'tfjs' : `tfjs-${variant}`;
  const compute: Compute = fusedTerms(implementation);
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
    const kernel = runsDistKernel(implementation, ready.tfjsBackend, input.options);
    if (!kernel) checkLogitValues(input, 'float32');
    else if (SIMD_KERNEL_BACKENDS.includes(ready.tfjsBackend)) checkMemory(name, simdKernelMemory(ready.tfjsBackend, input.classes), input.batch, input.classes, simdMemoryLimit(ready.tfjsBackend, config.memoryLimitBytes));
  };

  return withRowSelection({
    name,
    precision: 'float32',
    // Sigmoid runs as the DIST kernel where the platform's kernel has it (the SIMD kernel on wasm
    // and cpu), as the fused tfjs ops elsewhere.
    supports: { sigmoid: true },
    async availability(): Promise<Availability> {
      try {
        const started = await ready();
        const computedBy = describeImplementation(implementation, started.tfjsBackend);
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
          return run(input, compute);
        }
        const own = copyLogits(input);
        const later = await ready();
        // tfjs has one active backend per process: make this one active for the computation.
        await activate(later);
        checkInput(own, later);
        return run(own, compute);
      });
    },
    bind(binding: DistBinding): Promise<BoundDist> {
      return lifecycle.run(async () => {
        // The values are checked once here, so no call needs to; the copies are the binding's own.
        const input = copyLogits(validateRequest({ ...binding, gradient: false }, 'float32'));
        const platform = await ready();
        await activate(platform);
        // Bound calls compute with the gradient: checked as such once, here.
        if (runsDistKernel(implementation, platform.tfjsBackend, input.options) && SIMD_KERNEL_BACKENDS.includes(platform.tfjsBackend)) {
          checkMemory(name, simdKernelMemory(platform.tfjsBackend, input.classes), input.batch, input.classes, simdMemoryLimit(platform.tfjsBackend, config.memoryLimitBytes));
        }
        return lifecycle.bind(bindTensors(input, platform, compute));
      });
    },
    // The shards of one batch on the variants the conformance suite checks them on.
    ...(SHARD_VARIANTS.includes(variant) ? { shards: tfjsShards({ name, implementation, lifecycle, ready, checkInput }) } : {}),
    dispose: () => lifecycle.dispose(() => undefined),
  });
}

/**
 * The variants that offer `shards`: tfjs wasm and cpu, through the SIMD kernel (tfjs ops for
 * sigmoid), and ops-wasm, ops-cpu through tfjs ops.
 */
const SHARD_VARIANTS: readonly string[] = ['wasm', 'cpu', 'ops-wasm', 'ops-cpu'];

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
  if (override !== undefined) return memoryLimitOverride(override);
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
async function readGradient(gradient: tf.Tensor, input: DistInput): Promise<Float32Array | Float64Array> {
  // A fresh Float32Array either way: returned as is when the student was float32 too.
  const values = (await (readPackedTexture(gradient) ?? gradient.data())) as Float32Array;
  return input.student instanceof Float32Array ? values : Float64Array.from(values);
}

async function run(input: DistInput, compute: Compute): Promise<DistResult> {
  const logits = hostLogits(toFloat32(input.student), toFloat32(input.teacher), [input.batch, input.classes]);
  let tensors: CallTensors;
  try {
    tensors = callTensors(compute, logits.student, logits.teacher, input.options, input.gradient);
  } catch (error) {
    logits.dispose();
    throw error;
  }
  try {
    // Both reads start at once: on a GPU backend they then wait for the device once, not twice.
    const termsRead = readTerms(tensors.scalars, input);
    const gradientRead = tensors.gradient ? readGradient(tensors.gradient, input) : undefined;
    // The terms' error (a bad input) comes first; the gradient's is then moot.
    gradientRead?.catch(() => undefined);
    const terms = await termsRead;
    const gradient = await gradientRead;
    return gradient ? { ...terms, gradient } : terms;
  } finally {
    tensors.scalars.dispose();
    tensors.gradient?.dispose();
    logits.dispose();
  }
}

/** The logits as tensors kept for repeated calls, each call's gradient kept until the next. */
function bindTensors(input: DistInput, platform: ReadyPlatform, compute: Compute): BoundCalls {
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
    readGradient: () => readGradient(gradient!, input),
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

import {
  allocateGradient,
  BackendLifecycle,
  checkMemory,
  checkShardStatisticsFor,
  hostMemoryLimit,
  memoryLimitOverride,
  DistInputError,
  shardStatistics,
  checkFeatures,
  selectRows,
  unknownVariantError,
  validateRequest,
  withRowSelection,
  type BackendConfig,
  type BoundDist,
  type DistBackend,
  type DistBinding,
  type DistRequest,
  type DistInput,
  type DistResult,
  type DistTerms,
  type ShardStatistics,
} from '@dist-kd/core';
import { MAX_THREADS } from '@dist-kd/kernel-wasm';
import { SimdPath } from './simd-path.js';
import { SingleThreadDist } from './single-thread.js';

/**
 * The backend's two paths: `float32` (the default), the WebAssembly SIMD kernel in float32 with
 * float64 sums, on every core; `float64`, TypeScript in float64 throughout on the calling thread,
 * for reference-grade accuracy.
 */
export type CpuPrecision = 'float32' | 'float64';

/** Variants `createBackend({ variant })` and `loadBackend('cpu-<variant>')` take; `cpu` alone is float32. */
export const CPU_VARIANTS = ['float32', 'float64'] as const satisfies readonly CpuPrecision[];

export interface CpuBackendOptions {
  /** @default 'float32' */
  readonly precision?: CpuPrecision;
  /**
   * Threads for large inputs on the float32 path, the calling thread included: worker threads in
   * Node, Web Workers in a cross-origin isolated page (elsewhere 1). An integer from 1 to
   * `MAX_THREADS` (410: one job slot per worker in the kernel's shared memory).
   * @default the machine's (`os.availableParallelism()`, `navigator.hardwareConcurrency`), at most `MAX_THREADS`
   */
  readonly threads?: number;
  /**
   * Inputs with fewer elements (B*C) than this run on the calling thread alone.
   * @default 32768
   */
  readonly parallelThreshold?: number;
  /**
   * The memory a call may use, in bytes; calls that need more are refused with `MemoryLimitError`
   * (MEMORY_LIMIT) before anything is allocated.
   * @default this machine's memory (or the process's cgroup limit), and 4 GiB for the SIMD kernel's WebAssembly memory
   */
  readonly memoryLimitBytes?: number;
}

export interface CpuBackend extends DistBackend {
  /** The same computation without a promise (every call is synchronous inside). */
  computeSync(request: DistRequest): DistResult;
  bind(binding: DistBinding): Promise<BoundDist>;
}

/** How a binding runs on one of the paths: synchronous calls on logits the path keeps. */
interface BoundRunner {
  /** Loss and terms; with `gradient`, the gradient kept for `readGradient`. */
  run(gradient: boolean): DistTerms;
  /** The gradient of the last `run(true)`, copied into `into`. */
  readGradient(into: Float32Array | Float64Array): void;
  /** Frees what the runner keeps for this binding. */
  release(): void;
}

/** Where a call runs: the SIMD kernel's memory, or float64 arrays. */
interface CpuPath {
  compute(request: DistRequest): DistResult;
  bind(binding: DistBinding): { input: DistInput; runner: BoundRunner };
  shardStatistics(shard: DistBinding): ShardStatistics;
  shardCompute(shard: DistRequest, merged: ShardStatistics): DistResult;
  describe(): { device: string; details: Record<string, string> };
  dispose(): void;
}

/**
 * DIST on the CPU, always available. Every call runs to its end before it returns: the caller's
 * arrays are read (and the gradient written) before `compute` returns its promise, so calls never
 * overlap and arrays may be reused at once.
 */
export function createCpuBackend(backendOptions: CpuBackendOptions = {}): CpuBackend {
  checkCpuBackendOptions(backendOptions);
  const precision = backendOptions.precision ?? 'float32';
  const name = precision === 'float64' ? 'cpu-float64' : 'cpu';
  const path: CpuPath = precision === 'float64' ? float64Path(backendOptions) : float32Path(backendOptions);
  const lifecycle = new BackendLifecycle(name);
  // Both paths have both activations: the SIMD kernel and the float64 TypeScript kernels.
  const supports = { sigmoid: true };
  const computeSync = (request: DistRequest): DistResult => {
    if (lifecycle.disposed) throw lifecycle.disposedError();
    checkFeatures(request, { name, supports });
    const selection = selectRows(request, precision);
    if (!selection) return path.compute(request);
    return selection.restore(selection.rows && path.compute(selection.rows));
  };
  return withRowSelection({
    name,
    precision,
    supports,
    async availability() {
      return { available: true, ...path.describe() };
    },
    compute: (request) => lifecycle.run(async () => path.compute(request)),
    computeSync,
    bind: (binding) =>
      lifecycle.run(async () => {
        const { input, runner } = path.bind(binding);
        return lifecycle.bind({
          compute: async (gradient) => runner.run(gradient),
          readGradient: async () => {
            const gradient = allocateGradient(input);
            runner.readGradient(gradient);
            return gradient;
          },
          release: () => runner.release(),
        });
      }),
    shards: {
      statistics: (shard) => lifecycle.run(async () => path.shardStatistics(shard)),
      compute: (shard, merged) => lifecycle.run(async () => path.shardCompute(shard, merged)),
    },
    dispose: () => lifecycle.dispose(() => path.dispose()),
  });
}

/** A shard's request validated as any other, except that it may have no rows (flat logits, shape [0, C]). */
function validateShard(shard: DistRequest): DistInput {
  return validateRequest(shard, 'float32', { values: 'deferred', rows: 'any' });
}

function float32Path(options: CpuBackendOptions): CpuPath {
  const simd = new SimdPath(options);
  return {
    compute: (request) => simd.compute(validateRequest(request, 'float32', { values: 'deferred' })),
    bind(binding) {
      // The values are read once here (the kernel would flag them on every call otherwise).
      const input = validateRequest({ ...binding, gradient: false }, 'float32');
      const resident = simd.keep(input);
      return {
        input,
        runner: {
          run: (gradient) => simd.run(resident, gradient),
          readGradient: (into) => simd.kernel.read(resident.gradient, input.batch, input.classes, into),
          release: () => simd.release(resident),
        },
      };
    },
    describe() {
      const { threads, singleThreadReason, workerFailure } = simd.kernel;
      const why = workerFailure ?? singleThreadReason;
      return {
        device: `WebAssembly SIMD, float32, ${threads} thread${threads === 1 ? '' : 's'}${why ? ` (${why})` : ''}`,
        details: { path: 'cpu', threads: String(threads), ...(why ? { singleThreadReason: why } : {}) },
      };
    },
    shardStatistics(shard) {
      const input = validateShard({ ...shard, gradient: false });
      const { interSum, columns } = simd.statistics(input);
      return shardStatistics(input.classes, input.options, input.batch, interSum, columns);
    },
    shardCompute(shard, merged) {
      const input = validateShard(shard);
      return simd.compute(input, checkShardStatisticsFor(merged, input.classes, input.options));
    },
    dispose: () => simd.dispose(),
  };
}

const CPU_BACKEND_OPTIONS = ['precision', 'threads', 'parallelThreshold', 'memoryLimitBytes'];

/** `createCpuBackend`'s options, each of the right kind and range (BAD_OPTION otherwise), before anything starts. */
function checkCpuBackendOptions(options: CpuBackendOptions): void {
  const bad = (message: string) => new DistInputError('BAD_OPTION', `createCpuBackend: ${message}`);
  const shown = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));
  if (typeof options !== 'object' || options === null) throw bad(`the options must be an object, got ${shown(options)}`);
  for (const key of Object.keys(options)) {
    if (!CPU_BACKEND_OPTIONS.includes(key)) throw bad(`unknown option ${JSON.stringify(key)}; the options are ${CPU_BACKEND_OPTIONS.join(', ')}`);
  }
  const { precision, threads, parallelThreshold, memoryLimitBytes } = options;
  if (precision !== undefined && !(CPU_VARIANTS as readonly unknown[]).includes(precision)) throw bad(`precision must be ${CPU_VARIANTS.map((p) => `'${p}'`).join(' or ')}, got ${shown(precision)}`);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) throw bad(`threads must be an integer from 1 to ${MAX_THREADS}, got ${shown(threads)}`);
  if (parallelThreshold !== undefined && !(typeof parallelThreshold === 'number' && parallelThreshold >= 0)) throw bad(`parallelThreshold must be a number of elements >= 0 (Infinity: never in parallel), got ${shown(parallelThreshold)}`);
  if (memoryLimitBytes !== undefined) memoryLimitOverride(memoryLimitBytes);
}

/**
 * What a float64 call holds at once (the softmax of both inputs kept for the backward, the gradient,
 * copies of nested inputs; per row and per class the workspace's statistics), rounded up.
 */
const FLOAT64_MEMORY = { perElement: 40, perRow: 64, perClass: 200 };

function float64Path(options: CpuBackendOptions): CpuPath {
  const single = new SingleThreadDist();
  const limit = hostMemoryLimit(options.memoryLimitBytes);
  const validated = (request: DistRequest, rows: 'at-least-one' | 'any' = 'at-least-one'): DistInput => {
    const input = validateRequest(request, 'float64', { rows });
    checkMemory('cpu-float64', FLOAT64_MEMORY, input.batch, input.classes, limit);
    return input;
  };
  return {
    compute: (request) => single.compute(validated(request)),
    bind(binding) {
      const input = validated({ ...binding, gradient: false });
      // Its own copies, so that later writes to the caller's arrays cannot reach the binding.
      const own = { ...input, student: input.student.slice(), teacher: input.teacher.slice() };
      const dist = new SingleThreadDist();
      const gradient = new Float64Array(input.batch * input.classes);
      return {
        input,
        runner: {
          run: (withGradient) => dist.computeInto(own, withGradient ? gradient : undefined),
          readGradient: (into) => into.set(gradient),
          release: () => {},
        },
      };
    },
    describe: () => ({ device: 'TypeScript, float64, 1 thread', details: { path: 'cpu-float64', threads: '1' } }),
    shardStatistics: (shard) => single.statistics(validated({ ...shard, gradient: false }, 'any')),
    shardCompute(shard, merged) {
      const input = validated(shard, 'any');
      return single.compute(input, checkShardStatisticsFor(merged, input.classes, input.options));
    },
    dispose: () => {},
  };
}

/**
 * The variants besides the default (`float32`), which core's `listBackends` turns into backend names
 * (`cpu-float64`).
 */
export const VARIANTS: readonly string[] = ['float64'];

/** The `BackendModule` entry point: `loadBackend('cpu')` and `loadBackend('cpu-float64')` call this. */
export function createBackend(config: BackendConfig = {}): CpuBackend {
  const { variant, memoryLimitBytes } = config;
  if (variant !== undefined && !(CPU_VARIANTS as readonly string[]).includes(variant)) {
    throw unknownVariantError('cpu', variant, CPU_VARIANTS);
  }
  return createCpuBackend({ precision: variant as CpuPrecision | undefined, memoryLimitBytes });
}

// What a user of this package needs from core, so that installing this package alone is enough.
export { PRESETS, DEFAULT_OPTIONS, DistInputError, BackendUnavailableError, BackendRuntimeError, type DistOptions } from '@dist-kd/core';

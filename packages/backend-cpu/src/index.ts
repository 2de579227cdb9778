import {
  BackendRuntimeError,
  validateRequest,
  type BackendConfig,
  type BoundDist,
  type DistBackend,
  type DistBinding,
  type DistInput,
  type DistRequest,
  type DistResult,
  type DistTerms,
} from '@dist-kd/core';
import { createBoundDist, ownLogits, type BoundRunner } from './bound.js';
import type { Residency } from './parallel/pool.js';
import { SingleThreadDist, type GradientOutput } from './single-thread.js';

export interface CpuBackendOptions {
  /**
   * Threads for large inputs (the calling thread plus workers). Defaults to the number of cores
   * Node reports (`os.availableParallelism()`); 1 disables workers. Workers exist only in Node.
   * @default os.availableParallelism()
   */
  readonly threads?: number;
  /**
   * Inputs with fewer elements (B*C) than this run on the calling thread.
   * @default 32768
   */
  readonly parallelThreshold?: number;
}

export interface CpuBackend extends DistBackend {
  /** The same computation on the calling thread, without a promise. */
  computeSync(request: DistRequest): DistResult;
  bind(binding: DistBinding): Promise<BoundDist>;
}

const DEFAULT_PARALLEL_THRESHOLD = 32768;

interface ParallelRunner {
  readonly threads: number;
  compute(input: DistInput): Promise<DistResult>;
  computeInto(input: DistInput, gradient: GradientOutput | undefined, residency?: Residency): Promise<DistTerms>;
  release(residency: Residency): Promise<void>;
  dispose(): Promise<void>;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * The pure TypeScript backend: float64 arithmetic throughout (whatever the input type), fused
 * passes over the rows, scratch memory reused across calls of the same shape, and worker threads
 * for large inputs in Node. Always available.
 */
export function createCpuBackend(backendOptions: CpuBackendOptions = {}): CpuBackend {
  const threshold = backendOptions.parallelThreshold ?? DEFAULT_PARALLEL_THRESHOLD;
  let single: SingleThreadDist | undefined = new SingleThreadDist();
  let parallel: Promise<ParallelRunner | undefined> | undefined;
  const disposed = () => new BackendRuntimeError('cpu', 'this backend was disposed; create a new one');

  /** The worker pool when this input is large enough for it, else undefined (the calling thread). */
  const parallelFor = async (input: DistInput): Promise<ParallelRunner | undefined> => {
    if (input.batch * input.classes < threshold) return undefined;
    parallel ??= startParallel(backendOptions.threads);
    const runner = await parallel;
    return runner && input.batch >= runner.threads ? runner : undefined;
  };

  /** A binding's runner: the pool keeping its rows, or a calling-thread runner with its own workspace. */
  const boundRunner = async (input: DistInput): Promise<BoundRunner> => {
    const runner = await parallelFor(input);
    if (runner) {
      const residency: Residency = Symbol('cpu binding');
      return {
        run: async (gradient) => {
          if (!single) throw disposed();
          return runner.computeInto(input, gradient, residency);
        },
        release: () => runner.release(residency),
      };
    }
    const own = new SingleThreadDist();
    return {
      run: async (gradient) => {
        if (!single) throw disposed();
        return own.computeInto(input, gradient);
      },
      release: async () => {},
    };
  };

  const computeSync = (request: DistRequest): DistResult => {
    if (!single) throw disposed();
    return single.compute(validateRequest(request, 'float64'));
  };

  return {
    name: 'cpu',
    precision: 'float64',
    async availability() {
      // Reports the thread count without starting the workers: they start with the first large call.
      const threads = await threadCount(backendOptions.threads);
      return {
        available: true,
        device: `JavaScript, float64, ${threads} thread${threads === 1 ? '' : 's'}`,
        details: { threads: String(threads), parallelThreshold: String(threshold) },
      };
    },
    async compute(request) {
      if (!single) throw disposed();
      const input = validateRequest(request, 'float64');
      const runner = await parallelFor(input);
      return runner ? runner.compute(input) : single.compute(input);
    },
    computeSync,
    async bind(binding) {
      if (!single) throw disposed();
      // The values are checked here once, and the binding keeps its own copy, so no call checks them.
      const input = ownLogits(validateRequest({ ...binding, gradient: false }, 'float64'), binding);
      return createBoundDist(input, await boundRunner(input));
    },
    async dispose() {
      single = undefined;
      const runner = await parallel;
      parallel = undefined;
      await runner?.dispose();
    },
  };
}

async function threadCount(requested: number | undefined): Promise<number> {
  if (!isNode) return 1;
  const os = await import('node:os');
  return Math.max(1, Math.floor(requested ?? os.availableParallelism()));
}

async function startParallel(requested: number | undefined): Promise<ParallelRunner | undefined> {
  const threads = await threadCount(requested);
  if (threads === 1) return undefined;
  const { ParallelDist } = await import('./parallel/pool.js');
  return new ParallelDist(threads);
}

/** The `BackendModule` entry point: `loadBackend('cpu')` calls this. */
/**
 * The variants besides the default, which core's `listBackends` turns into backend names
 * (`cpu-<variant>`); none yet.
 */
export const VARIANTS: readonly string[] = [];

export function createBackend(config: BackendConfig = {}): CpuBackend {
  if (config.variant !== undefined) {
    throw new Error(`the cpu backend has no variants; got "${config.variant}"`);
  }
  return createCpuBackend();
}

// What a user of this package needs from core, so that installing this package alone is enough.
export { PRESETS, DEFAULT_OPTIONS, DistInputError, BackendUnavailableError, BackendRuntimeError, type DistOptions } from '@dist-kd/core';

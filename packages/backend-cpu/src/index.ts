import {
  BackendRuntimeError,
  validateRequest,
  type BackendConfig,
  type DistBackend,
  type DistInput,
  type DistRequest,
  type DistResult,
} from '@dist-kd/core';
import { SingleThreadDist } from './single-thread.js';

export interface CpuBackendOptions {
  /**
   * Threads for large inputs (the calling thread plus workers). Defaults to the number of cores
   * Node reports (`os.availableParallelism()`); 1 disables workers. Workers exist only in Node.
   */
  readonly threads?: number;
  /** Inputs with fewer elements (B*C) than this run on the calling thread; default 32768. */
  readonly parallelThreshold?: number;
}

export interface CpuBackend extends DistBackend {
  /** The same computation on the calling thread, without a promise. */
  computeSync(request: DistRequest): DistResult;
}

const DEFAULT_PARALLEL_THRESHOLD = 32768;

interface ParallelRunner {
  readonly threads: number;
  compute(input: DistInput): Promise<DistResult>;
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

  const runners = async (): Promise<ParallelRunner | undefined> => {
    parallel ??= startParallel(backendOptions.threads);
    return parallel;
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
      const runner = input.batch * input.classes >= threshold ? await runners() : undefined;
      if (runner && input.batch >= runner.threads) return runner.compute(input);
      return single.compute(input);
    },
    computeSync,
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
export function createBackend(config: BackendConfig = {}): CpuBackend {
  if (config.variant !== undefined) {
    throw new Error(`the cpu backend has no variants; got "${config.variant}"`);
  }
  return createCpuBackend();
}

/**
 * Starting a worker thread that runs `workerMain`, in Node (worker_threads) and in browsers (Web
 * Workers), from its source text: no separate worker file for a bundler to find, and no static
 * import of a Node built-in on the browser path.
 */
import { workerMain, type WorkerStart } from './worker-main.js';

/** A started worker: stop it, and hear if it dies. */
export interface WorkerHandle {
  terminate(): void;
}

interface NodeWorkerThreads {
  Worker: new (
    source: string,
    options: { eval: true; workerData: unknown },
  ) => { unref(): void; terminate(): Promise<number>; on(event: 'error' | 'exit', listener: (value: unknown) => void): void };
}

interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?(name: string): unknown;
}

const nodeProcess = (globalThis as { process?: NodeProcess }).process;
const isNode = typeof nodeProcess?.versions?.node === 'string';

/** How many threads this machine has (Node: available parallelism; browsers: hardwareConcurrency). */
export function hardwareThreads(): number {
  if (isNode) {
    const os = nodeProcess?.getBuiltinModule?.('node:os') as { availableParallelism?(): number; cpus(): unknown[] } | undefined;
    return Math.max(1, os?.availableParallelism?.() ?? os?.cpus().length ?? 1);
  }
  const navigatorThreads = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, navigatorThreads ?? 1);
}

/**
 * Why worker threads with shared memory cannot run here, or undefined when they can: browsers
 * share memory with workers only on cross-origin isolated pages.
 */
export function threadsUnavailableReason(): string | undefined {
  if (typeof SharedArrayBuffer === 'undefined') {
    return 'SharedArrayBuffer is not available (in a browser: serve the page cross-origin isolated, with COOP: same-origin and COEP: require-corp)';
  }
  if (isNode) {
    return nodeProcess?.getBuiltinModule ? undefined : 'this Node.js has no process.getBuiltinModule (Node 20.16 or later has it)';
  }
  if (typeof Worker === 'undefined') return 'this JavaScript environment has no Web Workers';
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) {
    return 'the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)';
  }
  return undefined;
}

/** Starts a worker running `workerMain(start)`; `onFailure` hears of a worker that errors or exits. */
export function startWorker(start: WorkerStart, onFailure: (reason: string) => void): WorkerHandle {
  if (isNode) {
    const { Worker } = nodeProcess!.getBuiltinModule!('node:worker_threads') as NodeWorkerThreads;
    const source = `const { workerData } = require('node:worker_threads');\n(${String(workerMain)})(workerData);`;
    const worker = new Worker(source, { eval: true, workerData: start });
    // A worker waiting for jobs must not keep the process alive.
    worker.unref();
    worker.on('error', (error) => onFailure(`a worker thread failed: ${String(error)}`));
    worker.on('exit', (code) => onFailure(`a worker thread exited (code ${String(code)})`));
    return { terminate: () => void worker.terminate() };
  }
  const source = `self.onmessage = (event) => { self.onmessage = null; (${String(workerMain)})(event.data); };`;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url);
  worker.onerror = (event) => onFailure(`a worker thread failed: ${event.message}`);
  worker.postMessage(start);
  return {
    terminate() {
      worker.terminate();
      // Only now: the worker may still be loading its source when postMessage returns.
      URL.revokeObjectURL(url);
    },
  };
}

import { Worker } from 'node:worker_threads';
import {
  BackendRuntimeError,
  DistInputError,
  allocateGradient,
  type DistInput,
  type DistInputErrorCode,
  type DistOptions,
  type DistResult,
} from '@dist-kd/core';
import { backwardRows, computeColumnCoefficients } from '../kernels/backward-rows.js';
import { finishColumns, resetColumnPartial } from '../kernels/column-stats.js';
import { forwardRows } from '../kernels/forward-rows.js';
import { lossTerms } from '../single-thread.js';
import { Workspace } from '../workspace.js';
import { typedArray, type ElementType, type SharedMemory, type WorkerReply, type WorkerRequest } from './protocol.js';

/**
 * Sources run under vitest (the `development` export condition) have no compiled worker next to
 * them, so the worker is always the compiled one from dist/.
 */
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/parallel/worker.js', import.meta.url)
  : new URL('./worker.js', import.meta.url);

type CompletedJob = Extract<WorkerReply, { ok: true }>;

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
}

interface Shared {
  memory: SharedMemory;
  workspace: Workspace;
  student: Float32Array | Float64Array;
  teacher: Float32Array | Float64Array;
  gradient: Float32Array | Float64Array;
}

/**
 * Splits the rows of one DIST call over the calling thread and `threads - 1` workers. The forward
 * pass runs in parallel, the main thread merges the column sums (O(C)), then the backward pass runs
 * in parallel. Inputs are copied into shared memory, the gradient is copied out, so callers see
 * ordinary arrays.
 */
export class ParallelDist {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private shared: Shared | undefined;
  private failure: Error | undefined;

  constructor(readonly threads: number) {
    this.workers = Array.from({ length: threads - 1 }, () => this.startWorker());
  }

  async compute(input: DistInput): Promise<DistResult> {
    if (this.failure) throw this.failure;
    const shared = this.sharedFor(input);
    shared.student.set(input.student);
    shared.teacher.set(input.teacher);
    const { options, batch } = input;
    const ws = shared.workspace;
    const ranges = splitRows(batch, this.threads);

    const forward = await this.runPhase('forward', ranges, options, (start, end) => {
      resetColumnPartial(ws.partials[0]);
      return forwardRows(shared.student, shared.teacher, input.classes, start, end, options, ws.store(0), ws.rowStats, ws.partials[0], ws.rowSums(0));
    });
    forward.replies.forEach((reply, t) => (ws.partials[t + 1].rows = reply.rows));
    const interSum = forward.main + forward.replies.reduce((s, r) => s + r.sumOneMinusR, 0);
    const intraSum = finishColumns(ws.partials, options, ws.columnStats);
    const result = lossTerms(input, interSum, intraSum);
    if (!input.gradient) return result;

    computeColumnCoefficients(ws.columnStats, options, ws.coefficients);
    await this.runPhase('backward', ranges, options, (start, end) => {
      backwardRows(ws.softmaxStudent, ws.softmaxTeacher, batch, input.classes, start, end, options, ws.rowStats, ws.coefficients, ws.rowScratch(0), shared.gradient);
      return 0;
    });
    const gradient = allocateGradient(input);
    gradient.set(shared.gradient);
    return { ...result, gradient };
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.shared = undefined;
  }

  /** Posts the workers' ranges, runs range 0 here, then waits for every worker before returning or throwing. */
  private async runPhase(
    type: 'forward' | 'backward',
    ranges: Array<[number, number]>,
    options: DistOptions,
    runHere: (start: number, end: number) => number,
  ): Promise<{ main: number; replies: CompletedJob[] }> {
    const jobs = this.workers.map((worker, index) => {
      const thread = index + 1;
      const [rowStart, rowEnd] = ranges[thread];
      return this.post(worker, { type, id: this.nextId++, thread, rowStart, rowEnd, options });
    });
    let main = 0;
    let mainError: unknown;
    try {
      main = runHere(ranges[0][0], ranges[0][1]);
    } catch (error) {
      mainError = error;
    }
    const settled = await Promise.allSettled(jobs);
    if (mainError) throw mainError;
    const replies: CompletedJob[] = [];
    for (const outcome of settled) {
      if (outcome.status === 'rejected') throw outcome.reason;
      const reply = outcome.value;
      if (!reply.ok) throw replyError(reply);
      replies.push(reply);
    }
    return { main, replies };
  }

  private post(worker: Worker, request: WorkerRequest & { id: number }): Promise<WorkerReply> {
    return new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      // Keep the process alive only while a job is out: an idle pool must not block exit.
      worker.ref();
      worker.postMessage(request);
    });
  }

  private startWorker(): Worker {
    // The worker runs only this package's compiled kernels: it inherits none of the parent's Node
    // flags, some of which break it (`--input-type` with `-e`, a `development` export condition).
    const worker = new Worker(WORKER_URL, { execArgv: [] });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const job = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.workers.forEach((w) => w.unref());
      job?.resolve(reply);
    });
    worker.on('error', (error) => this.fail(new BackendRuntimeError('cpu', `a worker thread failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => {
      if (code !== 0) this.fail(new BackendRuntimeError('cpu', `a worker thread exited with code ${code}`));
    });
    return worker;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const job of this.pending.values()) job.reject(error);
    this.pending.clear();
  }

  private sharedFor(input: DistInput): Shared {
    const inputType: ElementType = input.student instanceof Float32Array && input.teacher instanceof Float32Array ? 'float32' : 'float64';
    const gradientType: ElementType = input.student instanceof Float32Array ? 'float32' : 'float64';
    const current = this.shared;
    if (
      current &&
      current.workspace.fits(input.batch, input.classes, this.threads, input.gradient) &&
      current.memory.inputType === inputType &&
      current.memory.gradientType === gradientType
    ) {
      return current;
    }
    const workspace = Workspace.allocate(input.batch, input.classes, this.threads, input.gradient, (bytes) => new SharedArrayBuffer(bytes));
    const elements = input.batch * input.classes;
    const bytesOf = (type: ElementType) => elements * (type === 'float32' ? 4 : 8);
    const memory: SharedMemory = {
      workspace: workspace.memory,
      inputType,
      gradientType,
      student: new SharedArrayBuffer(bytesOf(inputType)),
      teacher: new SharedArrayBuffer(bytesOf(inputType)),
      gradient: new SharedArrayBuffer(input.gradient ? bytesOf(gradientType) : 0),
    };
    for (const worker of this.workers) worker.postMessage({ type: 'memory', memory } satisfies WorkerRequest);
    this.shared = {
      memory,
      workspace,
      student: typedArray(inputType, memory.student),
      teacher: typedArray(inputType, memory.teacher),
      gradient: typedArray(gradientType, memory.gradient),
    };
    return this.shared;
  }
}

/** Contiguous, nearly equal row ranges, one per thread. */
export function splitRows(batch: number, threads: number): Array<[number, number]> {
  return Array.from({ length: threads }, (_, t) => [
    Math.floor((t * batch) / threads),
    Math.floor(((t + 1) * batch) / threads),
  ]);
}

function replyError(reply: Extract<WorkerReply, { ok: false }>): Error {
  if (reply.name === 'DistInputError' && reply.code) {
    return new DistInputError(reply.code as DistInputErrorCode, reply.message);
  }
  return new BackendRuntimeError('cpu', `a worker thread failed: ${reply.message}`);
}

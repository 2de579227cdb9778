import { Worker } from 'node:worker_threads';
import {
  BackendRuntimeError,
  DistInputError,
  allocateGradient,
  type DistInput,
  type DistInputErrorCode,
  type DistResult,
  type DistTerms,
} from '@dist-kd/core';
import { computeColumnCoefficients } from '../kernels/backward-rows.js';
import { createColumnPartial, finishColumns } from '../kernels/column-stats.js';
import { lossTerms, type GradientOutput } from '../single-thread.js';
import { Workspace } from '../workspace.js';
import type { WorkerReply, WorkerRequest, WorkerRows } from './protocol.js';

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

/** Which binding's rows the workers keep: one token per binding, compared by identity. */
export type Residency = symbol;

/**
 * Splits the rows of one DIST call over the calling thread and `threads - 1` workers. The calling
 * thread takes the first rows straight from the caller's arrays; each worker gets a copy of its
 * rows, or, for the binding whose rows it keeps, nothing. The forward pass runs in parallel, the
 * calling thread merges the column sums (O(C)), then the backward pass runs in parallel and each
 * worker's gradient rows are copied into the result.
 */
export class ParallelDist {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  /** Per worker, the gradient rows it sent last, handed back to be written into next time. */
  private readonly recycledGradients: Array<Float32Array | Float64Array | undefined>;
  private nextId = 0;
  private workspace: Workspace | undefined;
  private failure: Error | undefined;
  /** The binding whose rows the workers keep, if any. */
  private resident: Residency | undefined;

  constructor(readonly threads: number) {
    this.workers = Array.from({ length: threads - 1 }, () => this.startWorker());
    this.recycledGradients = this.workers.map(() => undefined);
  }

  async compute(input: DistInput): Promise<DistResult> {
    const gradient = input.gradient ? allocateGradient(input) : undefined;
    const terms = await this.computeInto(input, gradient);
    return gradient ? { ...terms, gradient } : terms;
  }

  /**
   * Loss and terms; with `gradient`, dloss/dstudent written into it. With `residency`, the workers
   * keep their rows of `input` for that binding, and are sent none while they still hold them.
   */
  async computeInto(input: DistInput, gradient: GradientOutput | undefined, residency?: Residency): Promise<DistTerms> {
    if (this.failure) throw this.failure;
    const { batch, classes, options, student, teacher } = input;
    const ranges = splitRows(batch, this.threads);
    const mainRows = ranges[0][1];
    const keepSoftmax = gradient !== undefined;
    const ws = (this.workspace = Workspace.reuse(this.workspace, mainRows, classes, keepSoftmax));
    const rowsKept = residency !== undefined && this.resident === residency;
    if (residency !== undefined) this.resident = residency;

    const forward = await this.runPhase(
      this.workers.map((_, k) => {
        const [start, end] = ranges[k + 1];
        const rows: WorkerRows | 'resident' = rowsKept
          ? 'resident'
          : { student: student.slice(start * classes, end * classes), teacher: teacher.slice(start * classes, end * classes) };
        return {
          request: { type: 'forward', id: 0, batch, classes, rows, keepRows: residency !== undefined, options, keepSoftmax },
          transfer: rows === 'resident' ? [] : [rows.student.buffer as ArrayBuffer, rows.teacher.buffer as ArrayBuffer],
        };
      }),
      () => ws.forward(student.subarray(0, mainRows * classes), teacher.subarray(0, mainRows * classes), options),
    );
    const partials = [ws.partial];
    for (const reply of forward.replies) {
      const partial = createColumnPartial(classes, reply.partial!);
      partial.rows = reply.rows!;
      partials.push(partial);
    }
    const interSum = forward.main + forward.replies.reduce((sum, reply) => sum + reply.sumOneMinusR!, 0);
    const intraSum = finishColumns(partials, options, ws.columnStats);
    const terms = lossTerms(input, interSum, intraSum);
    if (!gradient) return terms;

    computeColumnCoefficients(ws.columnStats, options, ws.coefficients);
    const gradientType = gradient instanceof Float32Array ? 'float32' : 'float64';
    const backward = await this.runPhase(
      this.workers.map((_, k) => {
        const recycled = this.recycledGradients[k];
        this.recycledGradients[k] = undefined;
        return {
          request: { type: 'backward', id: 0, coefficients: ws.coefficients, gradientType, recycled },
          transfer: recycled ? [recycled.buffer as ArrayBuffer] : [],
        };
      }),
      () => (ws.backward(batch, options, ws.coefficients, gradient), 0),
    );
    backward.replies.forEach((reply, k) => {
      gradient.set(reply.gradient!, ranges[k + 1][0] * classes);
      this.recycledGradients[k] = reply.gradient;
    });
    return terms;
  }

  /** Lets the workers drop the rows they keep for this binding. */
  async release(residency: Residency): Promise<void> {
    if (this.resident !== residency || this.failure) return;
    this.resident = undefined;
    await this.runPhase(
      this.workers.map(() => ({ request: { type: 'release', id: 0 }, transfer: [] })),
      () => 0,
    );
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workspace = undefined;
  }

  /** Posts the workers' jobs, runs the calling thread's share, then waits for every worker before returning or throwing. */
  private async runPhase(
    jobs: Array<{ request: WorkerRequest; transfer: ArrayBuffer[] }>,
    runHere: () => number,
  ): Promise<{ main: number; replies: CompletedJob[] }> {
    const posted = jobs.map(({ request, transfer }, k) => this.post(this.workers[k], { ...request, id: this.nextId++ }, transfer));
    let main = 0;
    let mainError: unknown;
    try {
      main = runHere();
    } catch (error) {
      mainError = error;
    }
    const settled = await Promise.allSettled(posted);
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

  private post(worker: Worker, request: WorkerRequest, transfer: ArrayBuffer[]): Promise<WorkerReply> {
    return new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      // Keep the process alive only while a job is out: an idle pool must not block exit.
      worker.ref();
      worker.postMessage(request, transfer);
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

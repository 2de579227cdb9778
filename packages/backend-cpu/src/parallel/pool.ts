import { Worker } from 'node:worker_threads';
import {
  BackendRuntimeError,
  DistInputError,
  allocateGradient,
  type DistInput,
  type DistInputErrorCode,
  type DistResult,
} from '@dist-kd/core';
import { computeColumnCoefficients } from '../kernels/backward-rows.js';
import { createColumnPartial, finishColumns } from '../kernels/column-stats.js';
import { lossTerms } from '../single-thread.js';
import { Workspace } from '../workspace.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

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

/**
 * Splits the rows of one DIST call over the calling thread and `threads - 1` workers. The calling
 * thread takes the first rows straight from the caller's arrays; each worker gets a copy of its
 * rows. The forward pass runs in parallel, the calling thread merges the column sums (O(C)), then
 * the backward pass runs in parallel and each worker's gradient rows are copied into the result.
 */
export class ParallelDist {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private workspace: Workspace | undefined;
  private failure: Error | undefined;

  constructor(readonly threads: number) {
    this.workers = Array.from({ length: threads - 1 }, () => this.startWorker());
  }

  async compute(input: DistInput): Promise<DistResult> {
    if (this.failure) throw this.failure;
    const { batch, classes, options, student, teacher } = input;
    const ranges = splitRows(batch, this.threads);
    const mainRows = ranges[0][1];
    const ws = (this.workspace = Workspace.reuse(this.workspace, mainRows, classes, input.gradient));

    const forward = await this.runPhase(
      this.workers.map((_, k) => {
        const [start, end] = ranges[k + 1];
        const rows = { student: student.slice(start * classes, end * classes), teacher: teacher.slice(start * classes, end * classes) };
        return {
          request: { type: 'forward', id: 0, batch, classes, ...rows, options, keepSoftmax: input.gradient },
          transfer: [rows.student.buffer as ArrayBuffer, rows.teacher.buffer as ArrayBuffer],
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
    const result = lossTerms(input, interSum, intraSum);
    if (!input.gradient) return result;

    computeColumnCoefficients(ws.columnStats, options, ws.coefficients);
    const gradient = allocateGradient(input);
    const gradientType = gradient instanceof Float32Array ? 'float32' : 'float64';
    const backward = await this.runPhase(
      this.workers.map(() => ({ request: { type: 'backward', id: 0, coefficients: ws.coefficients, gradientType }, transfer: [] })),
      () => (ws.backward(batch, options, ws.coefficients, gradient), 0),
    );
    backward.replies.forEach((reply, k) => gradient.set(reply.gradient!, ranges[k + 1][0] * classes));
    return { ...result, gradient };
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

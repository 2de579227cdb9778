/**
 * The kernel on several threads: one shared WebAssembly memory, an instance of the kernel on the
 * calling thread and one in each worker, and the rows of a call split between them (dist-call.ts).
 * The calling thread copies the caller's arrays in, runs its own part, and runs any part a worker
 * has not claimed yet (protocol.ts), so a call never waits for a worker to start; it waits only for
 * parts that workers are running. A call is synchronous from start to end: nothing of it is in
 * flight when it returns, whatever the caller does next.
 */
import { BackendRuntimeError } from '@dist-kd/core';
import { activateHandedRows, forwardHandoff, forwardPart, type CallMatrices, type ForwardParams, type PartRunner, type RowRange } from '../dist-call.js';
import { instantiate, type KernelExports } from '../module.js';
import { CONTROL_BYTES, Float, FLOAT_OFFSET, JOB_BYTES, JobKind, JobState, SPIN_MS, Word, WORDS } from './protocol.js';
import { startWorker, type WorkerHandle } from './platform.js';

const PAGE = 65536;
/** A wasm32 memory's limit: 65536 pages of 64 KiB, 4 GiB. */
export const MAX_MEMORY_BYTES = 65536 * PAGE;

/** Why a wait for a worker gives up: no part runs this long unless its thread has stopped. */
const WORKER_TIMEOUT_MS = 60_000;

/**
 * The gradient rows a worker writes before it tells the calling thread, which copies them out while
 * the worker goes on: about 256 KiB, small next to a part and large next to the telling.
 */
const PIECE_BYTES = 256 * 1024;

/**
 * The logits (both matrices) the calling thread copies in before it tells the worker whose rows they
 * are, which starts on them while the rest come: about 512 KiB, in whole blocks of the column sums.
 */
const COPY_PIECE_BYTES = 512 * 1024;

/** Where the calling thread can block in Atomics.wait (Node, workers) and where it must spin (a browser's main thread). */
function canBlock(words: Int32Array): boolean {
  try {
    Atomics.wait(words, 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

export class WorkerPool {
  readonly memory: WebAssembly.Memory;
  /** The kernel instance of the calling thread. */
  readonly kernel: KernelExports;
  private readonly words: Int32Array;
  private readonly floats: Float64Array;
  private readonly workers: WorkerHandle[] = [];
  private readonly blocking: boolean;
  /** Set when a worker died or timed out: its parts then run on the calling thread. */
  private failure: string | undefined;

  /**
   * A pool of `workers` worker threads (besides the calling thread) over a new shared memory; errors
   * name `owner`, the backend it serves.
   */
  constructor(
    module: WebAssembly.Module,
    workers: number,
    private readonly owner: string,
  ) {
    this.memory = new WebAssembly.Memory({ initial: CONTROL_BYTES / PAGE, maximum: MAX_MEMORY_BYTES / PAGE, shared: true });
    this.kernel = instantiate(module, this.memory);
    this.words = new Int32Array(this.memory.buffer, 0, CONTROL_BYTES / 4);
    this.floats = new Float64Array(this.memory.buffer, 0, CONTROL_BYTES / 8);
    this.blocking = canBlock(this.words);
    const protocol = { state: JobState, kind: JobKind, word: Word, float: Float, floatOffset: FLOAT_OFFSET, spinMs: SPIN_MS };
    for (let w = 0; w < workers; w++) {
      this.workers.push(
        startWorker({ module, memory: this.memory, slot: w * JOB_BYTES, protocol }, (reason) => {
          this.failure ??= reason;
        }),
      );
    }
  }

  /** Threads a call is split across: the calling thread and the workers. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /** Why the workers no longer take parts, if they don't. */
  get workerFailure(): string | undefined {
    return this.failure;
  }

  /** Parts go to part k's worker (k >= 1; part 0 is the calling thread's); unclaimed ones come back. */
  readonly runner: PartRunner = {
    forward: (shape, regions, matrices, ranges, params, hooks) => {
      const results = new Array<number>(ranges.length).fill(0);
      // The workers wake while their parts' logits are copied in.
      this.wakeWorkers(ranges.length);
      // When the calling thread copies every part in, part 1's worker also activates part 0's last rows.
      const copyIn = hooks.beforeForward;
      const rowBlock = this.kernel.columnRowBlock();
      const handed = copyIn && this.failure === undefined && this.workers.length > 0 ? forwardHandoff(ranges[0].count, shape.batch, ranges.length, rowBlock) : 0;
      const handedRows = { first: ranges[0].first + ranges[0].count - handed, count: handed };
      const pieceRows = rowBlock * Math.max(1, Math.floor(COPY_PIECE_BYTES / (8 * shape.classes * rowBlock)));
      this.runParts(
        ranges.length,
        (k, posted) => {
          if (!copyIn) return;
          if (k === 0) copyIn({ first: ranges[0].first, count: ranges[0].count - handed });
          else if (!posted) copyIn(ranges[k]);
          else this.copyInPieces(k, k === 1 ? { first: handedRows.first, count: handed + ranges[1].count } : ranges[k], k === 1 ? handed : 0, pieceRows, copyIn);
        },
        (k) => {
          this.post(k, JobKind.forward, shape, regions.batchBase, regions.threadBases[k], ranges[k], (words, floats) => {
            words[Word.student] = matrices.student;
            words[Word.teacher] = matrices.teacher;
            words[Word.statistics] = regions.statistics[k];
            words[Word.activation] = params.activation;
            words[Word.backwardFollows] = params.backwardFollows ? 1 : 0;
            words[Word.handedRows] = k === 1 ? handed : 0;
            words[Word.rowsCopied] = copyIn ? 0 : ranges[k].count;
            floats[Float.log2eOverTau] = params.log2eOverTau;
            floats[Float.eps] = params.eps;
            floats[Float.epsInside] = params.epsInside;
            floats[Float.limit] = params.limit;
          });
        },
        (k) => {
          this.kernel.layOut(shape.batch, shape.classes, regions.batchBase, regions.threadBases[0]);
          const handedOff = k === 0 && handed > 0 ? { count: handed, await: () => this.awaitHandedRows(handedRows, matrices, params) } : undefined;
          results[k] = forwardPart(this.kernel, matrices, ranges[k], regions.statistics[k], params, handedOff);
        },
        (k) => {
          results[k] = this.floats[(this.slot(k) + FLOAT_OFFSET) / 8 + Float.result];
        },
        () => {},
      );
      return results;
    },
    backward: (shape, regions, gradient, ranges, rowScale, colScale, activation, hooks) => {
      const copyOut = hooks.afterBackward;
      // Rows come back piece by piece only when someone copies them out as they come.
      const pieceRows = copyOut ? Math.max(1, Math.ceil(PIECE_BYTES / (4 * shape.classes))) : shape.batch;
      this.runParts(
        ranges.length,
        () => {},
        (k) => {
          this.post(k, JobKind.backward, shape, regions.batchBase, regions.threadBases[k], ranges[k], (words, floats) => {
            words[Word.gradient] = gradient;
            words[Word.activation] = activation;
            words[Word.pieceRows] = pieceRows;
            floats[Float.rowScale] = rowScale;
            floats[Float.colScale] = colScale;
          });
        },
        (k) => {
          this.kernel.layOut(shape.batch, shape.classes, regions.batchBase, regions.threadBases[0]);
          this.kernel.startBackward(colScale);
          this.kernel.backwardRows(gradient, ranges[k].first, ranges[k].count, rowScale, activation);
        },
        () => {},
        (k) => copyOut?.(ranges[k]),
        copyOut && ((k) => this.followRows(k, ranges[k], copyOut)),
      );
    },
  };

  /** Stops the workers; the memory goes with the last reference to the pool. */
  terminate(): void {
    this.failure ??= 'the pool was terminated';
    for (const worker of this.workers) worker.terminate();
    this.workers.length = 0;
  }

  /** A heads-up to the workers of parts 1.. that a job is coming: each wakes and waits for it awake. */
  private wakeWorkers(parts: number): void {
    if (this.failure !== undefined) return;
    for (let k = 1; k < Math.min(parts, this.workers.length + 1); k++) Atomics.notify(this.words, this.slot(k) / 4 + Word.state);
  }

  private slot(part: number): number {
    return (part - 1) * JOB_BYTES;
  }

  /**
   * Posts parts 1.. to their workers and prepares each (so that a worker starts while the calling
   * thread prepares its part and the next), prepares and runs part 0 here, then for each
   * posted part either takes it back (unclaimed) and runs it here, or waits for its worker and
   * collects its result; each part is finished as soon as it is done, or with `follow`, which
   * replaces waiting, collecting and finishing, as its worker goes.
   */
  private runParts(
    parts: number,
    prepare: (part: number, posted: boolean) => void,
    post: (part: number) => void,
    runHere: (part: number) => void,
    collect: (part: number) => void,
    finish: (part: number) => void,
    follow?: (part: number) => void,
  ): void {
    const toWorkers = this.failure === undefined ? Math.min(parts - 1, this.workers.length) : 0;
    for (let k = 1; k <= toWorkers; k++) {
      post(k);
      prepare(k, true);
    }
    prepare(0, false);
    runHere(0);
    finish(0);
    for (let k = 1; k < parts; k++) {
      if (k > toWorkers) {
        prepare(k, false);
        runHere(k);
      } else if (this.reclaim(k)) {
        runHere(k);
      } else if (follow) {
        follow(k);
        continue;
      } else {
        this.awaitDone(k);
        collect(k);
      }
      finish(k);
    }
  }

  /** Waits for a worker's backward part piece by piece, handing each piece's rows to `onRows` as soon as they are written. */
  private followRows(part: number, range: RowRange, onRows: (rows: RowRange) => void): void {
    const index = this.slot(part) / 4 + Word.rowsDone;
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    let handed = 0;
    while (handed < range.count) {
      const done = Atomics.load(this.words, index);
      if (done > handed) {
        onRows({ first: range.first + handed, count: done - handed });
        handed = done;
        continue;
      }
      if (Date.now() > deadline) this.giveUp();
      if (this.blocking) Atomics.wait(this.words, index, done, 100);
    }
    // The worker marks the job done right after its last piece; the slot is free once it has.
    this.awaitDone(part);
  }

  private post(
    part: number,
    kind: number,
    shape: { batch: number; classes: number },
    batchBase: number,
    threadBase: number,
    range: { first: number; count: number },
    fill: (words: Int32Array, floats: Float64Array) => void,
  ): void {
    const at = this.slot(part);
    const words = this.words.subarray(at / 4, at / 4 + WORDS);
    const floats = this.floats.subarray((at + FLOAT_OFFSET) / 8, (at + FLOAT_OFFSET) / 8 + 8);
    words[Word.kind] = kind;
    words[Word.batch] = shape.batch;
    words[Word.classes] = shape.classes;
    words[Word.batchBase] = batchBase;
    words[Word.threadBase] = threadBase;
    words[Word.first] = range.first;
    words[Word.count] = range.count;
    words[Word.rowsDone] = 0;
    fill(words, floats);
    // The store publishes the job's words (Atomics order the plain writes before it).
    Atomics.store(this.words, at / 4 + Word.state, JobState.posted);
    Atomics.notify(this.words, at / 4 + Word.state);
  }

  /**
   * Copies a posted forward job's `rows` in: its first `firstPiece` rows (the handed ones), then
   * `pieceRows` at a time, telling its worker after each, which runs them as they come. The job
   * ends up with all its rows counted copied whatever happens, so that its worker never waits for
   * rows that will not come.
   */
  private copyInPieces(part: number, rows: RowRange, firstPiece: number, pieceRows: number, copyIn: (rows: RowRange) => void): void {
    const index = this.slot(part) / 4 + Word.rowsCopied;
    const tell = (copied: number) => {
      Atomics.store(this.words, index, copied);
      Atomics.notify(this.words, index);
    };
    try {
      for (let copied = 0; copied < rows.count; ) {
        const count = Math.min(copied === 0 && firstPiece > 0 ? firstPiece : pieceRows, rows.count - copied);
        copyIn({ first: rows.first + copied, count });
        copied += count;
        if (copied < rows.count) tell(copied);
      }
    } finally {
      tell(rows.count);
    }
  }

  /** Takes back part `part` if its worker has not claimed it (or it was taken back already). */
  private reclaim(part: number): boolean {
    const index = this.slot(part) / 4 + Word.state;
    const before = Atomics.compareExchange(this.words, index, JobState.posted, JobState.reclaimed);
    return before === JobState.posted || before === JobState.reclaimed;
  }

  /**
   * Waits until part 1's worker has activated part 0's handed rows; activates them here instead,
   * taking part 1 back too, when the worker has not claimed its job yet.
   */
  private awaitHandedRows(rows: RowRange, matrices: CallMatrices, params: ForwardParams): void {
    const index = this.slot(1) / 4 + Word.rowsDone;
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    while (Atomics.load(this.words, index) < rows.count) {
      if (this.reclaim(1)) {
        activateHandedRows(this.kernel, matrices, rows, params);
        return;
      }
      if (Date.now() > deadline) this.giveUp();
      if (this.blocking) Atomics.wait(this.words, index, 0, 100);
    }
  }

  private awaitDone(part: number): void {
    const index = this.slot(part) / 4 + Word.state;
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    while (Atomics.load(this.words, index) === JobState.claimed) {
      if (Date.now() > deadline) this.giveUp();
      if (this.blocking) Atomics.wait(this.words, index, JobState.claimed, 100);
    }
  }

  /** A worker that has not finished its part in WORKER_TIMEOUT_MS has stopped: later calls run here. */
  private giveUp(): never {
    this.terminate();
    this.failure = `a worker thread did not finish its part within ${WORKER_TIMEOUT_MS / 1000} s`;
    throw new BackendRuntimeError(this.owner, `${this.failure}; later calls run on the calling thread`);
  }
}

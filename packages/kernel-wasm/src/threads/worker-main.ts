/**
 * The worker's whole program. Its source text is what a worker runs (`String(workerMain)`, see
 * platform.ts), so it refers to nothing outside itself: the protocol's numbers (protocol.ts) arrive
 * as arguments, checked against protocol.ts by the tests.
 */
import type { ActivationCode, KernelExports } from '../module.js';

export interface WorkerStart {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** This worker's job slot, in bytes from the start of the memory. */
  readonly slot: number;
  readonly protocol: {
    readonly state: Record<'idle' | 'posted' | 'claimed' | 'done' | 'reclaimed', number>;
    readonly kind: Record<'forward' | 'backward', number>;
    readonly word: Record<string, number>;
    readonly float: Record<string, number>;
    readonly floatOffset: number;
    readonly spinMs: number;
  };
}

/** Waits for jobs in its slot and runs them, for ever (the pool terminates the worker). */
export function workerMain(start: WorkerStart): void {
  const { module, memory, slot, protocol } = start;
  const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  const { state: S, kind: K, word: W, float: F } = protocol;
  const words = new Int32Array(memory.buffer, slot, protocol.floatOffset / 4);
  const floats = new Float64Array(memory.buffer, slot + protocol.floatOffset, 8);
  const at = (word: number) => words[word] >>> 0;
  const rowBlock = kernel.columnRowBlock();
  // Until the slot's state changes, or for `spinMs`: for a job that is coming soon.
  const spinWhile = (state: number) => {
    const until = performance.now() + protocol.spinMs;
    while (Atomics.load(words, W.state) === state && performance.now() < until);
  };
  for (;;) {
    const state = Atomics.load(words, W.state);
    if (state === S.posted) {
      if (Atomics.compareExchange(words, W.state, S.posted, S.claimed) === S.posted) {
        kernel.layOut(words[W.batch], words[W.classes], at(W.batchBase), at(W.threadBase));
        if (words[W.kind] === K.forward) {
          const [student, teacher, first, count, handed] = [at(W.student), at(W.teacher), words[W.first], words[W.count], words[W.handedRows]];
          const [log2eOverTau, eps, epsInside, limit] = [floats[F.log2eOverTau], floats[F.eps], floats[F.epsInside], floats[F.limit]];
          const activation = words[W.activation] as ActivationCode;
          // The calling thread copies the job's rows in as this runs: handed ones first, then the part's.
          const copiedAtLeast = (rows: number) => {
            for (let copied; (copied = Atomics.load(words, W.rowsCopied)) < rows; ) Atomics.wait(words, W.rowsCopied, copied, 100);
            return Atomics.load(words, W.rowsCopied);
          };
          if (handed > 0) {
            // The calling thread's rows first: it sums them into its part once they are done.
            copiedAtLeast(handed);
            kernel.activateRows(student, teacher, first - handed, handed, log2eOverTau, eps, epsInside, limit, activation);
            Atomics.store(words, W.rowsDone, handed);
            Atomics.notify(words, W.rowsDone);
          }
          // Whole blocks of the column sums as they come in (forwardRows' pieces), the part's end last.
          for (let done = 0; done < count; ) {
            const ready = copiedAtLeast(handed + Math.min(count, done + rowBlock)) - handed;
            const rows = ready >= count ? count - done : ready - done - ((ready - done) % rowBlock);
            kernel.forwardRows(student, teacher, first + done, rows, first, 0, log2eOverTau, eps, epsInside, limit, activation);
            done += rows;
          }
          floats[F.result] = kernel.finishPart(count, at(W.statistics));
        } else {
          kernel.startBackward(floats[F.colScale]);
          const [first, count, piece] = [words[W.first], words[W.count], words[W.pieceRows]];
          for (let done = 0; done < count; ) {
            const rows = Math.min(piece, count - done);
            kernel.backwardRows(at(W.gradient), first + done, rows, floats[F.rowScale], words[W.activation] as ActivationCode);
            done += rows;
            // Piece by piece, so that the calling thread copies these rows out while the rest are computed.
            Atomics.store(words, W.rowsDone, done);
            Atomics.notify(words, W.rowsDone);
          }
        }
        const backwardFollows = words[W.kind] === K.forward && words[W.backwardFollows] === 1;
        Atomics.store(words, W.state, S.done);
        Atomics.notify(words, W.state);
        if (backwardFollows) spinWhile(S.done);
      }
      continue;
    }
    // Sleeps while the slot stays idle, done or reclaimed; a post wakes it, or the calling
    // thread's heads-up that a post is coming.
    if (Atomics.wait(words, W.state, state) === 'ok') spinWhile(state);
  }
}

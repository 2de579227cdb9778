/**
 * How the calling thread hands a part of a call to a worker: one job slot per worker in the shared
 * memory's first bytes, its state changed with Atomics (no message, so no event loop, on either
 * side). The calling thread posts a job; the worker claims it (compare-exchange) and runs it, or,
 * when the calling thread is done with its own part first and the job is still unclaimed (a worker
 * still starting, or descheduled), the calling thread reclaims it and runs it itself. A part's rows
 * and its statistics slot do not depend on who runs it, so the results are the same either way.
 */

export const JobState = { idle: 0, posted: 1, claimed: 2, done: 3, reclaimed: 4 } as const;
export const JobKind = { forward: 1, backward: 2 } as const;

/** Int32 words at the start of a job slot, before its float64s. */
export const WORDS = 24;
/** Bytes of one job slot: `WORDS` int32 words, then 8 float64s. */
export const JOB_BYTES = WORDS * 4 + 64;
/** Bytes kept for job slots at the start of the shared memory (room for 409 workers). */
export const CONTROL_BYTES = 65536;

// Int32 word indices within a slot (addresses are read back as unsigned: `>>> 0`).
export const Word = {
  state: 0,
  kind: 1,
  batch: 2,
  classes: 3,
  batchBase: 4,
  threadBase: 5,
  first: 6,
  count: 7,
  student: 8,
  teacher: 9,
  statistics: 10,
  gradient: 11,
  activation: 12,
  /** 1 when the call's backward follows this forward job: the worker then waits for it awake. */
  backwardFollows: 13,
  /**
   * Backward jobs: how many of the part's rows the worker has written so far (it goes piece by
   * piece). Forward jobs: `handedRows` once the worker has activated them.
   */
  rowsDone: 14,
  /** Backward jobs: the rows of one piece. */
  pieceRows: 15,
  /**
   * Forward jobs: how many rows right before the part's own the worker activates first, for the
   * calling thread's part (dist-call.ts `forwardHandoff`).
   */
  handedRows: 16,
  /**
   * Forward jobs: how many of the job's rows (the handed ones, then the part's) the calling thread
   * has copied in so far; the worker runs them as they come.
   */
  rowsCopied: 17,
} as const;

// Float64 indices within a slot, after its int32 words.
export const Float = { log2eOverTau: 0, eps: 1, epsInside: 2, limit: 3, rowScale: 4, colScale: 5, result: 6 } as const;
export const FLOAT_OFFSET = WORDS * 4;

/**
 * How long a worker stays awake (spinning) for its next job when one is coming: after a forward
 * whose backward follows, and after the calling thread's heads-up at the start of a call (it posts
 * the job once it has copied the part's logits in). A sleeping worker woke too late to share a
 * small call's backward: before this wait, scripts/call-profile.mjs at 256x1000 showed the backward
 * no faster on two threads than on one. Bounded, since a spinning thread burns a core.
 */
export const SPIN_MS = 0.5;

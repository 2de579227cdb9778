/** Times one (subject, op) at the loaded size with tinybench. */
import { Bench } from 'tinybench';
import type { LatencyStats } from './stats.js';
import type { BenchSubject } from './subject.js';
import type { Op } from './sizes.js';

export interface Timing {
  readonly time_ms: number;
  readonly min_samples: number;
  readonly warmup_samples: number;
}

export interface Measurement {
  /** Per call: a sample of several calls counts as their mean. */
  readonly latency: LatencyStats;
  /** The loss of the last call, to check the backend computed the right thing. */
  readonly loss: number;
}

/**
 * A sample should last at least this long: browsers coarsen performance.now() (Chromium here:
 * 0.1 ms steps, 5 µs when cross-origin isolated), so a faster call would time as 0 or one tick.
 */
export const MIN_SAMPLE_MS = 2;
const MAX_CALLS_PER_SAMPLE = 10_000;
const CONFIRMATIONS = 3;

export interface Batch {
  /** Total time of the calls: the subject's own when it times itself, else the wall time. */
  readonly ms: number;
  /** Wall time, IPC included: what the batch cost the run. */
  readonly wallMs: number;
  readonly loss: number;
}

/** Runs `count` calls back to back. */
export async function timeCalls(subject: BenchSubject, op: Op, count: number): Promise<Batch> {
  const started = performance.now();
  let selfTimed: number | undefined;
  let loss = Number.NaN;
  for (let k = 0; k < count; k++) {
    const outcome = await subject.run(op);
    loss = outcome.loss;
    if (outcome.measuredMs !== undefined) selfTimed = (selfTimed ?? 0) + outcome.measuredMs;
  }
  const wallMs = performance.now() - started;
  // A self-timing subject leaves out its transport (IPC); for the others the wall time is the time.
  return { ms: selfTimed ?? wallMs, wallMs, loss };
}

/**
 * How many calls make one sample of at least MIN_SAMPLE_MS. Timed afresh rather than taken from
 * the probing call, which may have paid for compilation; and confirmed by consecutive batches,
 * since calls keep getting faster while the JIT warms up.
 */
export async function callsPerSample(subject: BenchSubject, op: Op): Promise<number> {
  let count = 1;
  let confirmed = 0;
  while (confirmed < CONFIRMATIONS && count < MAX_CALLS_PER_SAMPLE) {
    const { ms } = await timeCalls(subject, op, count);
    if (ms >= MIN_SAMPLE_MS) {
      confirmed++;
    } else {
      confirmed = 0;
      // Aim a little above the minimum; a batch that timed as zero (below the timer's tick) grows 4x.
      count = Math.min(MAX_CALLS_PER_SAMPLE, ms > 0 ? Math.ceil((count * MIN_SAMPLE_MS * 1.5) / ms) : count * 4);
    }
  }
  return count;
}

export async function measure(subject: BenchSubject, op: Op, timing: Timing, calls = 1): Promise<Measurement> {
  let loss = Number.NaN;
  const bench = new Bench({
    time: timing.time_ms,
    iterations: timing.min_samples,
    warmup: timing.warmup_samples > 0,
    warmupIterations: timing.warmup_samples,
    warmupTime: 0,
    throws: true,
  });
  bench.add(`${subject.name} ${op}`, async () => {
    const batch = await timeCalls(subject, op, calls);
    loss = batch.loss;
    // The sample is the mean per call; the time budget is spent by the whole batch.
    return { overriddenDuration: batch.ms / calls, overriddenIterationCost: batch.wallMs };
  });
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state === 'errored') throw result.error;
  if (result.state !== 'completed') throw new Error(`tinybench ended the task in state "${result.state}"`);
  return { latency: result.latency, loss };
}

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
  readonly latency: LatencyStats;
  /** The loss of the last call, to check the backend computed the right thing. */
  readonly loss: number;
}

export async function measure(subject: BenchSubject, op: Op, timing: Timing): Promise<Measurement> {
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
    const outcome = await subject.run(op);
    loss = outcome.loss;
    return outcome.measuredMs === undefined ? undefined : { overriddenDuration: outcome.measuredMs };
  });
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state === 'errored') throw result.error;
  if (result.state !== 'completed') throw new Error(`tinybench ended the task in state "${result.state}"`);
  return { latency: result.latency, loss };
}

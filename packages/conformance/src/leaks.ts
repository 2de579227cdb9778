/**
 * Leak measurement for backends' tests (Node only: it needs the garbage collector, which it exposes
 * itself, so no --expose-gc flag is needed): how much the JS heap and the resident set grow per
 * call over many calls, as the least-squares slope of samples taken after full collections.
 */
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface LeakMeasurement {
  readonly calls: number;
  /** Slope of the JS heap in use after GC, bytes per call; about 0 when nothing is retained. */
  readonly heapBytesPerCall: number;
  /** Slope of the resident set size after GC, bytes per call (native memory too, but noisier). */
  readonly rssBytesPerCall: number;
}

export interface LeakOptions {
  /** Calls measured (default 2000). */
  readonly calls?: number;
  /** Calls first, unmeasured, so that caches and pools are full (default 500). */
  readonly warmup?: number;
  /** Samples along the way, the first before the measured calls (default 5). */
  readonly samples?: number;
}

let collect: (() => void) | undefined;

/** The garbage collector, exposed on first use. */
function gc(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  // Twice: the first pass may only finalise what the second frees.
  collect();
  collect();
}

/** Runs `call(k)` `calls` times, one after another, and measures the growth per call. */
export async function measureLeak(call: (index: number) => Promise<unknown>, options: LeakOptions = {}): Promise<LeakMeasurement> {
  const { calls = 2000, warmup = 500, samples = 5 } = options;
  for (let k = 0; k < warmup; k++) await call(k);
  const points: { calls: number; heap: number; rss: number }[] = [];
  const sample = async (done: number) => {
    // Let finalisers and pending callbacks run before collecting.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const { heapUsed, rss } = process.memoryUsage();
    points.push({ calls: done, heap: heapUsed, rss });
  };
  await sample(0);
  let done = 0;
  for (let s = 1; s < samples; s++) {
    const until = Math.round((calls * s) / (samples - 1));
    for (; done < until; done++) await call(warmup + done);
    await sample(done);
  }
  return { calls, heapBytesPerCall: slope(points, (p) => p.heap), rssBytesPerCall: slope(points, (p) => p.rss) };
}

/** Least-squares slope of `get(point)` against the calls made. */
function slope<P extends { calls: number }>(points: readonly P[], get: (point: P) => number): number {
  const n = points.length;
  const meanX = points.reduce((s, p) => s + p.calls, 0) / n;
  const meanY = points.reduce((s, p) => s + get(p), 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.calls - meanX) * (get(p) - meanY);
    sxx += (p.calls - meanX) ** 2;
  }
  return sxy / sxx;
}

/**
 * The operating-system threads of this process (worker threads, V8's and libuv's own), where Linux
 * lists them in /proc/self/task; undefined elsewhere. A backend that leaks workers makes it grow.
 */
export function processThreadCount(): number | undefined {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return undefined;
  }
}

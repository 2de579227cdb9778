/**
 * Runs every subject over every size and op, smallest size first, and says what happened to each:
 * measured, skipped (with the reason) or failed (with the error). Runs in Node and in the browser.
 */
import { referenceDist, type Availability } from '@dist-kd/core';
import { makeInputs } from './inputs.js';
import { callsPerSample, measure, timeCalls } from './measure.js';
import { isHeadlineSize } from './baselines.js';
import type { BackendEntry, BenchSettings, MemoryUse, ResultEntry } from './report.js';
import { elements, OPS, sizeLabel, sortSizes, type Op, type Size } from './sizes.js';
import { isLongCase, longCaseSamples } from './settings.js';
import { summarize } from './stats.js';
import type { BenchSubject } from './subject.js';

export interface Progress {
  /** 1-based index of the result just finished, out of `total`. */
  readonly index: number;
  readonly total: number;
  readonly result: ResultEntry;
}

export interface RunHooks {
  /** Called once the backends' availability is known, before any timing, with the cases to come in order. */
  onBackends?(backends: readonly BackendEntry[], plan: readonly PlannedCase[]): void;
  /** Called before a (backend, size, op) is timed. */
  onStart?(what: { backend: string; size: Size; op: Op; index: number; total: number }): void;
  onResult?(progress: Progress): void;
  /** What the environment can tell about memory, read after each timed case. */
  sampleMemory?(): MemoryUse | undefined;
}

/** One (backend, size, op) the run will time. */
export interface PlannedCase {
  readonly backend: string;
  readonly size: Size;
  readonly op: Op;
}

export interface RunOutput {
  readonly backends: BackendEntry[];
  readonly results: ResultEntry[];
}

/** Calls at least this slow are timed one per sample, without warm-up samples beyond the probing calls. */
const SLOW_CALL_MS = 100;

/** Relative difference from the float64 reference loss above which a result is marked `mismatch`. */
export const LOSS_TOLERANCE = 1e-3;

/**
 * How long a backend may take to say whether it is available (starting tfjs on an emulated GPU
 * takes seconds); one that hangs is listed unavailable instead of stalling the run.
 */
export const AVAILABILITY_TIMEOUT_MS = 120_000;

export async function runBench(
  subjects: readonly BenchSubject[],
  sizes: readonly Size[],
  settings: BenchSettings,
  hooks: RunHooks = {},
  availabilityTimeoutMs = AVAILABILITY_TIMEOUT_MS,
): Promise<RunOutput> {
  // One at a time: backends may share global state (tfjs has one active backend per page or process).
  const backends: BackendEntry[] = [];
  for (const subject of subjects) backends.push(await describeSubject(subject, availabilityTimeoutMs));
  const runnable = subjects.filter((_, k) => backends[k]!.available);
  const ordered = sortSizes(sizes);
  const ops = settings.ops ?? OPS;
  const total = runnable.length * ordered.length * ops.length;
  // The order of the loops below.
  const plan = ordered.flatMap((size) => runnable.flatMap((subject) => ops.map((op) => ({ backend: subject.name, size, op }))));
  hooks.onBackends?.(backends, plan);
  const results: ResultEntry[] = [];
  // Per subject and op, the first size whose single call took longer than max_call_ms: larger sizes are skipped.
  const overLimit = new Map<string, { size: Size; ms: number }>();
  let index = 0;

  for (const size of runnable.length > 0 ? ordered : []) {
    const inputs = makeInputs(size, settings.seed);
    const referenceLoss = referenceDist({
      student: inputs.student,
      teacher: inputs.teacher,
      shape: [size.batch, size.classes],
      options: settings.options,
    }).loss;
    for (const subject of runnable) {
      let loadError: unknown;
      try {
        await subject.load(inputs);
      } catch (error) {
        loadError = error;
      }
      // A baseline at a headline size is timed however slow it is: without it the headline ratio is missing.
      const mustTime = subject.role === 'baseline' && isHeadlineSize(size);
      for (const op of ops) {
        index++;
        hooks.onStart?.({ backend: subject.name, size, op, index, total });
        const base = { backend: subject.name, batch: size.batch, classes: size.classes, op };
        const key = `${subject.name}\u0000${op}`;
        const slow = overLimit.get(key);
        let result: ResultEntry;
        if (loadError !== undefined) {
          result = { ...base, status: 'failed', reason: `loading the inputs failed: ${message(loadError)}` };
        } else if (slow && !mustTime) {
          result = { ...base, status: 'skipped', reason: `one call at ${sizeLabel(slow.size)} already took ${overLimitText(slow.ms, settings)}` };
        } else {
          const before = subject.memory?.();
          result = await probeThenMeasure(subject, op, size, settings, referenceLoss, base, mustTime);
          if (result.status === 'skipped') overLimit.set(key, { size, ms: result.probe_ms! });
          const memory = memoryAfter(hooks.sampleMemory?.(), before, subject.memory?.());
          if (memory && result.status === 'measured') result = { ...result, memory };
        }
        results.push(result);
        hooks.onResult?.({ index, total, result });
      }
    }
  }
  return { backends, results };
}

/**
 * A probing call before tinybench: it warms up, and when it (and a second try, in case the first
 * paid for one-time setup) is over max_call_ms, the size is skipped with the time it took, so a
 * slow backend cannot stall the run. Calls shorter than a couple of milliseconds are timed in
 * batches, a sample being their mean.
 */
async function probeThenMeasure(
  subject: BenchSubject,
  op: Op,
  size: Size,
  settings: BenchSettings,
  referenceLoss: number,
  base: Pick<ResultEntry, 'backend' | 'batch' | 'classes' | 'op'>,
  mustTime: boolean,
): Promise<ResultEntry> {
  try {
    const firstCallMs = (await timeCalls(subject, op, 1)).ms;
    let probeMs = firstCallMs;
    // A first call can include one-time setup (shader compilation, wasm start-up): before it skips
    // the size or cuts the samples (a long case, below), judge on a second.
    if (probeMs > settings.max_call_ms || isLongCase(probeMs, settings)) probeMs = Math.min(probeMs, (await timeCalls(subject, op, 1)).ms);
    if (probeMs > settings.max_call_ms && !mustTime) {
      return {
        ...base,
        status: 'skipped',
        reason: `one call took ${overLimitText(probeMs, settings)}`,
        probe_ms: probeMs,
        first_call_ms: firstCallMs,
      };
    }
    // A call this slow needs no batching, and the probing calls have warmed it up.
    const slowCall = probeMs >= SLOW_CALL_MS;
    const calls = slowCall ? 1 : await callsPerSample(subject, op);
    // A case whose minimum samples alone would take many time budgets (a slow baseline, which at a
    // headline size is timed even over the call limit) gets only the fewest samples that are not
    // marked noisy, so one slow baseline does not take minutes.
    const longCase = isLongCase(probeMs, settings);
    const timing = {
      ...settings,
      ...(slowCall ? { warmup_samples: 0 } : {}),
      ...(longCase ? { min_samples: longCaseSamples(settings) } : {}),
    };
    const { latency, loss } = await measure(subject, op, timing, calls);
    const agrees = Math.abs(loss - referenceLoss) <= LOSS_TOLERANCE * Math.max(1, Math.abs(referenceLoss));
    return {
      ...base,
      status: 'measured',
      ...summarize(latency, elements(size), settings.noise),
      calls_per_sample: calls,
      first_call_ms: firstCallMs,
      loss,
      loss_check: agrees ? 'ok' : 'mismatch',
    };
  } catch (error) {
    return { ...base, status: 'failed', reason: message(error) };
  }
}

/** The environment's memory and the subject's own, with the tfjs tensors the case added. */
function memoryAfter(environment: MemoryUse | undefined, before: MemoryUse | undefined, after: MemoryUse | undefined): MemoryUse | undefined {
  if (!environment && !after) return undefined;
  const added =
    before?.tfjs_tensors !== undefined && after?.tfjs_tensors !== undefined ? { tfjs_tensors_added: after.tfjs_tensors - before.tfjs_tensors } : {};
  return { ...environment, ...after, ...added };
}

function overLimitText(ms: number, settings: BenchSettings): string {
  return `${Math.round(ms)} ms, over the ${settings.max_call_ms} ms call limit`;
}

async function describeSubject(subject: BenchSubject, timeoutMs: number): Promise<BackendEntry> {
  let availability: Availability;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    availability = await Promise.race([subject.availability(), timeout]);
  } catch (error) {
    // The contract says availability() never throws; a backend that breaks it is still listed.
    availability = { available: false, reason: `availability() failed: ${message(error)}` };
  } finally {
    clearTimeout(timer);
  }
  const common = { name: subject.name, role: subject.role, ...(subject.precision ? { precision: subject.precision } : {}) };
  if (!availability.available) {
    return { ...common, available: false, reason: availability.reason, ...(availability.hint ? { hint: availability.hint } : {}) };
  }
  return {
    ...common,
    available: true,
    ...(availability.device ? { device: availability.device } : {}),
    ...(availability.software !== undefined ? { software: availability.software } : {}),
    ...(availability.details ? { details: availability.details } : {}),
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

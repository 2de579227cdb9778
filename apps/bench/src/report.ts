/**
 * The report format `dist-kd-bench/1`: one JSON document per run that says where it ran, with what,
 * and what it measured, so reports from different machines can be read and merged later.
 */
import type { DistOptions } from '@dist-kd/core';
import { BenchUsageError } from './errors.js';
import { OPS, type Op } from './sizes.js';

export const REPORT_FORMAT = 'dist-kd-bench/1';

export interface GpuInfo {
  /** The backend whose availability() described the adapter. */
  readonly backend: string;
  readonly device: string;
  readonly software?: boolean;
  readonly details?: Readonly<Record<string, string>>;
}

export interface MachineInfo {
  readonly cpu: string;
  /** Logical cores (Node's os.cpus(), the browser's navigator.hardwareConcurrency). */
  readonly cores: number;
  /** Total memory; the browser only tells an approximation (navigator.deviceMemory), or nothing. */
  readonly memory_bytes: number | null;
  /**
   * The 1, 5 and 15 minute load averages when the run started (Node on Unix): other work on the
   * machine slows every result, so a reader should know.
   */
  readonly load_average?: readonly number[];
  readonly os: string;
  /** "node v20.19.0" or the browser's user agent. */
  readonly runtime: string;
  /** C allocator settings the run had (the Node bench sets glibc's; see allocator.ts). */
  readonly allocator?: string;
  readonly gpus: readonly GpuInfo[];
}

export interface BackendEntry {
  readonly name: string;
  /** Baselines are what the backends are compared with: the naive tfjs composition and PyTorch. */
  readonly role: 'backend' | 'baseline' | 'ceiling';
  readonly available: boolean;
  readonly precision?: string;
  readonly device?: string;
  readonly software?: boolean;
  readonly details?: Readonly<Record<string, string>>;
  /** Why it could not run, and what to install, when unavailable. */
  readonly reason?: string;
  readonly hint?: string;
}

export interface NoiseThresholds {
  /** Median absolute deviation over the median above which a result is noisy. */
  readonly max_rel_mad: number;
  /** p99 over median above which a result is noisy. */
  readonly max_p99_over_median: number;
  /** Fewer samples than this and the spread means little. */
  readonly min_samples: number;
}

export interface BenchSettings {
  readonly quick: boolean;
  /** `--full`: the whole grid. Absent in reports from before the option (they were all full runs). */
  readonly full?: boolean;
  /** The ops timed; absent in reports from before the option: both. */
  readonly ops?: readonly Op[];
  /**
   * Whether calls ran on bound logits (`DistBackend.bind`: inputs moved where the backend computes
   * once per size, the gradient left there) rather than host arrays in and the gradient read back.
   * Absent in reports from before the option: false.
   */
  readonly resident?: boolean;
  /** tinybench time budget per (backend, size, op), ms. */
  readonly time_ms: number;
  /** Minimum samples per (backend, size, op); a sample is one call, or the mean of a batch of fast calls. */
  readonly min_samples: number;
  readonly warmup_samples: number;
  /**
   * A (backend, size, op) whose first call takes longer than this is not timed further, and larger
   * sizes of that backend and op are skipped.
   */
  readonly max_call_ms: number;
  readonly seed: number;
  /** Logits are normal(0, 1) times this, in float32. */
  readonly logit_scale: number;
  readonly options: DistOptions;
  readonly noise: NoiseThresholds;
}

export type ResultStatus = 'measured' | 'skipped' | 'failed';

export interface ResultEntry {
  readonly backend: string;
  readonly batch: number;
  readonly classes: number;
  readonly op: Op;
  readonly status: ResultStatus;
  /** Why it was skipped or failed. */
  readonly reason?: string;
  /** The single probing call's time, for a size skipped because that call was over max_call_ms. */
  readonly probe_ms?: number;
  /**
   * The first call at this size and op, apart from the steady state the median describes: shader
   * compilation, kernel and buffer set-up, the JIT's first pass.
   */
  readonly first_call_ms?: number;
  /**
   * Memory after the timing: what the environment can tell (Node: peak RSS; a browser: JS heap),
   * and for a tfjs subject what tfjs tells (live tensors; GPU memory and buffers on GPU backends).
   */
  readonly memory?: MemoryUse;
  readonly median_ms?: number;
  readonly p99_ms?: number;
  readonly mean_ms?: number;
  readonly min_ms?: number;
  readonly max_ms?: number;
  readonly samples?: number;
  /** Calls timed together per sample (fast calls are batched so the timer can resolve them). */
  readonly calls_per_sample?: number;
  /** Median absolute deviation / median. */
  readonly rel_mad?: number;
  readonly p99_over_median?: number;
  /** B*C logits per second at the median. */
  readonly throughput_eps?: number;
  readonly noisy?: boolean;
  /** Which thresholds made it noisy. */
  readonly noise?: readonly string[];
  /** The loss the backend returned, and whether it agrees with the float64 reference. */
  readonly loss?: number;
  readonly loss_check?: 'ok' | 'mismatch';
}

export interface MemoryUse {
  /** The process's peak resident set so far (Node's `process.resourceUsage().maxRSS`). */
  readonly peak_rss_bytes?: number;
  /** JavaScript heap in use (Node's `process.memoryUsage().heapUsed`, Chromium's `performance.memory`). */
  readonly js_heap_bytes?: number;
  /**
   * tfjs subjects: live tensors in tfjs's engine after the case (`tf.memory().numTensors`; one
   * engine per process or page, so tensors other tfjs subjects hold count too).
   */
  readonly tfjs_tensors?: number;
  /** tfjs subjects: tensors the case left behind, after minus before it (0 when it leaked none). */
  readonly tfjs_tensors_added?: number;
  /** tfjs on a GPU: bytes of GPU memory holding live tensors (`tf.memory().numBytesInGPU`). */
  readonly gpu_bytes_in_use?: number;
  /** tfjs on a GPU: bytes of GPU memory allocated, tfjs's pool of free buffers or textures included. */
  readonly gpu_bytes_allocated?: number;
  /** tfjs-webgpu: GPU buffers in use, and free in its pool (its bufferManager's counts). */
  readonly gpu_buffers_in_use?: number;
  readonly gpu_buffers_free?: number;
}

export interface BenchReport {
  readonly format: typeof REPORT_FORMAT;
  /** The machine's label (`--name`), how `compare` names this report; absent: the file name. */
  readonly label?: string;
  readonly created_at: string;
  readonly environment: 'node' | 'browser';
  readonly machine: MachineInfo;
  /** Versions of the packages and runtimes involved (core, backends, tinybench, torch, ...). */
  readonly versions: Readonly<Record<string, string>>;
  readonly settings: BenchSettings;
  readonly backends: readonly BackendEntry[];
  readonly results: readonly ResultEntry[];
}

/**
 * Checks that a parsed JSON value is a report this version can read. `source` names it in messages
 * (a file path). Throws BenchUsageError saying what is wrong.
 */
export function parseReport(value: unknown, source: string): BenchReport {
  const fail = (what: string): never => {
    throw new BenchUsageError(`${source}: ${what}`);
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('not a JSON object, so not a bench report');
  const report = value as Partial<BenchReport>;
  if (report.format !== REPORT_FORMAT) {
    fail(
      report.format === undefined
        ? `no "format" field; bench reports say "format": "${REPORT_FORMAT}" (was it written by pnpm bench?)`
        : `format "${String(report.format)}" cannot be read by this version, which reads "${REPORT_FORMAT}"`,
    );
  }
  if (report.machine === null || typeof report.machine !== 'object') fail('no "machine" object');
  if (!Array.isArray(report.backends)) fail('no "backends" array');
  if (!Array.isArray(report.results)) fail('no "results" array');
  report.results!.forEach((result, index) => {
    const where = `results[${index}]`;
    if (typeof result?.backend !== 'string') fail(`${where} has no backend name`);
    if (!Number.isInteger(result.batch) || !Number.isInteger(result.classes)) fail(`${where} has no integer batch/classes`);
    if (!OPS.includes(result.op)) fail(`${where} has op ${JSON.stringify(result.op)}, not one of ${OPS.join(', ')}`);
    if (result.status === 'measured' && !(typeof result.median_ms === 'number' && result.median_ms > 0)) {
      fail(`${where} is measured but has no positive median_ms`);
    }
  });
  return report as BenchReport;
}

export function measured(report: BenchReport): ResultEntry[] {
  return report.results.filter((r) => r.status === 'measured');
}

/** A load average above half the cores means other work competed with the run for the CPU. */
export function busyMachine(machine: Pick<MachineInfo, 'cores' | 'load_average'>): boolean {
  return machine.load_average !== undefined && machine.load_average[0]! > machine.cores * 0.5;
}

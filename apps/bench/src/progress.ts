/** Shows a run's progress on a terminal: what is running, then one line per finished result. */
import { formatMs, textTable } from './format.js';
import type { BackendEntry, ResultEntry } from './report.js';
import type { PlannedCase, RunHooks } from './runner.js';
import { elements, sizeLabel, type Op } from './sizes.js';

export interface Output {
  write(text: string): void;
  /** A terminal, where the "running" line can be redrawn in place. */
  readonly isTTY?: boolean;
}

export function progressHooks(out: Output, now: () => number = Date.now): RunHooks {
  let started: number | undefined;
  let caseStarted = 0;
  let plan: readonly PlannedCase[] = [];
  const done: FinishedCase[] = [];
  const clear = () => out.isTTY && out.write('\r\x1b[K');
  return {
    onBackends: (backends, planned) => {
      out.write(backendLines(backends) + '\n');
      plan = planned;
      started = now();
    },
    onStart: ({ backend, size, op, index, total }) => {
      started ??= now();
      caseStarted = now();
      if (out.isTTY) out.write(`\r\x1b[K[${index}/${total}${timeLeft(remaining(plan.slice(index - 1), done))}] ${backend} ${sizeLabel(size)} ${op} ...`);
    },
    onResult: ({ index, total, result }) => {
      started ??= now();
      done.push({ backend: result.backend, op: result.op, elements: elements(result), ms: now() - caseStarted });
      clear();
      const elapsed = now() - started;
      out.write(`[${index}/${total} ${(elapsed / 1000).toFixed(0)}s${timeLeft(remaining(plan.slice(index), done))}] ${resultLine(result)}\n`);
    },
  };
}

export interface FinishedCase {
  readonly backend: string;
  readonly op: Op;
  readonly elements: number;
  /** Wall time the case took, probing and batch sizing included. */
  readonly ms: number;
}

/**
 * The time the cases to come should take: each as the same backend and op's last finished case,
 * scaled by the number of logits (sizes run smallest first, and a call's time grows about linearly
 * with B*C); a backend not timed yet counts as the average case so far. A hint, not a promise.
 */
export function remaining(toCome: readonly PlannedCase[], done: readonly FinishedCase[]): number | undefined {
  if (done.length === 0 || toCome.length === 0) return undefined;
  const average = done.reduce((sum, c) => sum + c.ms, 0) / done.length;
  let ms = 0;
  for (const next of toCome) {
    const last = [...done].reverse().find((c) => c.backend === next.backend && c.op === next.op);
    ms += last ? last.ms * (elements(next.size) / last.elements) : average;
  }
  return ms;
}

function timeLeft(ms: number | undefined): string {
  if (ms === undefined) return '';
  const seconds = Math.round(ms / 1000);
  return `, about ${seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`} left`;
}

/** A reason may span lines (tfjs-node's does); a table row may not. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export function backendLines(backends: readonly BackendEntry[]): string {
  return backends
    .map((b) => `${b.available ? 'measuring  ' : 'unavailable'} ${b.name}: ${b.available ? (b.device ?? '') : `${b.reason}${b.hint ? ` (${b.hint})` : ''}`}`)
    .join('\n');
}

function resultLine(r: ResultEntry): string {
  const what = `${r.backend} ${sizeLabel(r)} ${r.op}`;
  if (r.status !== 'measured') return `${what}: ${r.status}, ${r.reason}`;
  return `${what}: median ${formatMs(r.median_ms!)} ms, p99 ${formatMs(r.p99_ms!)} ms, first call ${formatMs(r.first_call_ms!)} ms, ${r.samples} samples${flags(r)}`;
}

function flags(r: ResultEntry): string {
  return `${r.noisy ? `  [noisy: ${r.noise!.join(', ')}]` : ''}${r.loss_check === 'mismatch' ? '  [loss differs from reference]' : ''}`;
}

/** The closing table of a run. */
export function resultsTable(results: readonly ResultEntry[]): string {
  const rows = results.map((r) => [
    r.backend,
    sizeLabel(r),
    r.op,
    r.status === 'measured' ? formatMs(r.median_ms!) : r.status,
    r.status === 'measured' ? formatMs(r.p99_ms!) : '',
    r.status === 'measured' ? r.rel_mad!.toFixed(3) : '',
    r.first_call_ms !== undefined ? formatMs(r.first_call_ms) : '',
    r.status === 'measured' ? flags(r).trim() : oneLine(r.reason ?? ''),
  ]);
  return textTable(['backend', 'size', 'op', 'median ms', 'p99 ms', 'MAD/median', 'first call ms', 'notes'], rows);
}

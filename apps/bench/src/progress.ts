/** Shows a run's progress on a terminal: what is running, then one line per finished result. */
import { formatMs, textTable } from './format.js';
import type { BackendEntry, ResultEntry } from './report.js';
import type { RunHooks } from './runner.js';
import { sizeLabel } from './sizes.js';

export interface Output {
  write(text: string): void;
  /** A terminal, where the "running" line can be redrawn in place. */
  readonly isTTY?: boolean;
}

export function progressHooks(out: Output, now: () => number = Date.now): RunHooks {
  let started: number | undefined;
  const clear = () => out.isTTY && out.write('\r\x1b[K');
  return {
    onBackends: (backends) => {
      out.write(backendLines(backends) + '\n');
      started = now();
    },
    onStart: ({ backend, size, op, index, total }) => {
      started ??= now();
      if (out.isTTY) out.write(`\r\x1b[K[${index}/${total}${remaining(now() - started, index - 1, total)}] ${backend} ${sizeLabel(size)} ${op} ...`);
    },
    onResult: ({ index, total, result }) => {
      started ??= now();
      clear();
      const elapsed = now() - started;
      out.write(`[${index}/${total} ${(elapsed / 1000).toFixed(0)}s${remaining(elapsed, index, total)}] ${resultLine(result)}\n`);
    },
  };
}

/**
 * The time left if the cases still to come take as long on average as those done. Sizes are timed
 * smallest first, so this guesses low early on; it is a progress hint, not a promise.
 */
export function remaining(elapsedMs: number, done: number, total: number): string {
  if (done === 0 || done >= total) return '';
  const seconds = Math.round(((elapsedMs / done) * (total - done)) / 1000);
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

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

export function progressHooks(out: Output): RunHooks {
  const started = Date.now();
  const clear = () => out.isTTY && out.write('\r\x1b[K');
  return {
    onBackends: (backends) => out.write(backendLines(backends) + '\n'),
    onStart: ({ backend, size, op, index, total }) => {
      if (out.isTTY) out.write(`\r\x1b[K[${index}/${total}] ${backend} ${sizeLabel(size)} ${op} ...`);
    },
    onResult: ({ index, total, result }) => {
      clear();
      const elapsed = ((Date.now() - started) / 1000).toFixed(0);
      out.write(`[${index}/${total} ${elapsed}s] ${resultLine(result)}\n`);
    },
  };
}

export function backendLines(backends: readonly BackendEntry[]): string {
  return backends
    .map((b) => `${b.available ? 'measuring  ' : 'unavailable'} ${b.name}: ${b.available ? (b.device ?? '') : `${b.reason}${b.hint ? ` (${b.hint})` : ''}`}`)
    .join('\n');
}

function resultLine(r: ResultEntry): string {
  const what = `${r.backend} ${sizeLabel(r)} ${r.op}`;
  if (r.status !== 'measured') return `${what}: ${r.status}, ${r.reason}`;
  return `${what}: median ${formatMs(r.median_ms!)} ms, p99 ${formatMs(r.p99_ms!)} ms, ${r.samples} samples${flags(r)}`;
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
    r.status === 'measured' ? flags(r).trim() : (r.reason ?? ''),
  ]);
  return textTable(['backend', 'size', 'op', 'median ms', 'p99 ms', 'MAD/median', 'notes'], rows);
}

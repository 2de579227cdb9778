/** Number formatting shared by the terminal table, the Markdown and the charts. */
import type { MemoryUse } from './report.js';

export function formatMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toPrecision(2);
}

/** Baseline time over backend time: above 1, the backend is faster. */
export function formatRatio(ratio: number): string {
  if (ratio >= 10) return `${ratio.toFixed(0)}×`;
  return `${ratio >= 1 ? ratio.toFixed(2) : ratio.toPrecision(2)}×`;
}

/** Elements (logits) per second as millions. */
export function formatThroughput(elementsPerSecond: number): string {
  return (elementsPerSecond / 1e6).toPrecision(3);
}

export function formatBytes(bytes: number | null): string {
  return bytes === null ? 'unknown' : `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

export function formatMiB(bytes: number): string {
  const mib = bytes / 2 ** 20;
  return `${mib >= 10 ? mib.toFixed(0) : mib.toPrecision(2)} MiB`;
}

/** Live tfjs tensors after a case and those it added: "12 (+0)"; empty when tfjs told nothing. */
export function formatTensors(memory: MemoryUse | undefined): string {
  if (memory?.tfjs_tensors === undefined) return '';
  const added = memory.tfjs_tensors_added;
  return added === undefined ? String(memory.tfjs_tensors) : `${memory.tfjs_tensors} (${added >= 0 ? '+' : ''}${added})`;
}

/** GPU memory as tfjs tells it: "1.2 MiB of 4.0 MiB, 6 buffers + 3 free"; empty when nothing was told. */
export function formatGpuMemory(memory: MemoryUse | undefined): string {
  const parts: string[] = [];
  if (memory?.gpu_bytes_in_use !== undefined) {
    parts.push(memory.gpu_bytes_allocated !== undefined ? `${formatMiB(memory.gpu_bytes_in_use)} of ${formatMiB(memory.gpu_bytes_allocated)}` : formatMiB(memory.gpu_bytes_in_use));
  }
  if (memory?.gpu_buffers_in_use !== undefined) {
    parts.push(`${memory.gpu_buffers_in_use} buffers${memory.gpu_buffers_free !== undefined ? ` + ${memory.gpu_buffers_free} free` : ''}`);
  }
  return parts.join(', ');
}

/** A plain-text table with padded columns, for the terminal. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => (r[k] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, k) => c.padEnd(widths[k]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A Markdown table; pipes inside cells are escaped and line breaks become `<br>` (a newline would end the row). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A file-name-safe timestamp: 2026-11-28T16-04-05Z. */
export function stamp(isoDate: string): string {
  return isoDate.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** The results as CSV (RFC 4180), one row per backend, size and op, for spreadsheets and plotting tools. */
import type { BenchReport, ResultEntry } from './report.js';

const COLUMNS: ReadonlyArray<[string, (r: ResultEntry) => unknown]> = [
  ['backend', (r) => r.backend],
  ['batch', (r) => r.batch],
  ['classes', (r) => r.classes],
  ['op', (r) => r.op],
  ['status', (r) => r.status],
  ['median_ms', (r) => r.median_ms],
  ['p99_ms', (r) => r.p99_ms],
  ['mean_ms', (r) => r.mean_ms],
  ['min_ms', (r) => r.min_ms],
  ['max_ms', (r) => r.max_ms],
  ['first_call_ms', (r) => r.first_call_ms],
  ['samples', (r) => r.samples],
  ['calls_per_sample', (r) => r.calls_per_sample],
  ['rel_mad', (r) => r.rel_mad],
  ['throughput_eps', (r) => r.throughput_eps],
  ['peak_rss_bytes', (r) => r.memory?.peak_rss_bytes],
  ['js_heap_bytes', (r) => r.memory?.js_heap_bytes],
  ['tfjs_tensors', (r) => r.memory?.tfjs_tensors],
  ['tfjs_tensors_added', (r) => r.memory?.tfjs_tensors_added],
  ['gpu_bytes_in_use', (r) => r.memory?.gpu_bytes_in_use],
  ['gpu_bytes_allocated', (r) => r.memory?.gpu_bytes_allocated],
  ['gpu_buffers_in_use', (r) => r.memory?.gpu_buffers_in_use],
  ['gpu_buffers_free', (r) => r.memory?.gpu_buffers_free],
  ['noisy', (r) => r.noisy],
  ['loss', (r) => r.loss],
  ['loss_check', (r) => r.loss_check],
  ['reason', (r) => r.reason],
];

export function resultsCsv(report: Pick<BenchReport, 'results'>): string {
  const rows = report.results.map((r) => COLUMNS.map(([, value]) => field(value(r))).join(','));
  return [COLUMNS.map(([name]) => name).join(','), ...rows].join('\r\n') + '\r\n';
}

/** Quoted when it holds a comma, a quote or a line break; quotes doubled. */
function field(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

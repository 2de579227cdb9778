/** The Markdown report: where it ran, which backends could not run and why, and times with speed-ups over each baseline. */
import { formatBytes, formatGpuMemory, formatMiB, formatMs, formatRatio, formatTensors, formatThroughput, markdownTable } from './format.js';
import { busyMachine, type BenchReport, type ResultEntry } from './report.js';
import { verdictLine, verdicts } from './verdicts.js';
import { LONG_CASE_BUDGETS, longCaseSamples } from './settings.js';
import { OPS, sizeLabel, sortSizes, uniqueSizes, type Op } from './sizes.js';

/** `charts` maps an op to the chart file the Markdown links to (relative to the Markdown file). */
export function reportMarkdown(report: BenchReport, charts: Partial<Record<Op, string>> = {}): string {
  const out: string[] = [`# DIST benchmark, ${report.created_at}`, ''];
  out.push(...describeRun(report), '');
  const answers = verdicts(report);
  if (answers.length) {
    out.push('## Verdicts', '', ...answers.map((v) => `- ${verdictLine(v)}`), '');
    out.push('(± one standard deviation of the ratio, from both medians\' spreads: 1.4826 × MAD each, propagated.)', '');
  }
  out.push('## Backends', '', backendTable(report), '');
  for (const op of OPS) {
    const results = report.results.filter((r) => r.op === op);
    if (results.length === 0) continue;
    out.push(`## ${op}`, '');
    if (charts[op]) out.push(`![median time per call, ${op}](${charts[op]})`, '');
    out.push(resultTable(report, results), '');
  }
  out.push(...legend(report));
  return out.join('\n');
}

function describeRun(report: BenchReport): string[] {
  const { machine, settings } = report;
  const gpus = machine.gpus.length
    ? machine.gpus.map((g) => `${g.device}${g.software ? ' (software)' : ''} via ${g.backend}`).join('; ')
    : 'none reported by an available backend';
  const versions = Object.entries(report.versions).map(([name, version]) => `${name} ${version}`).join(', ');
  return [
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${formatBytes(machine.memory_bytes)}, ${machine.os}`,
    ...loadLine(report),
    `- Runtime: ${machine.runtime} (${report.environment})` +
      (machine.allocator ? `; ${machine.allocator} (so that result arrays reuse freed memory instead of faulting in new pages on every call)` : ''),
    `- GPU adapters: ${gpus}`,
    `- Versions: ${versions}`,
    `- Settings: ${settings.quick ? 'quick run' : 'full run'}; per backend, size and op at least ${settings.min_samples} ` +
      `samples and ${settings.time_ms} ms (${longCaseSamples(settings)} where ${settings.min_samples} calls would take over ${LONG_CASE_BUDGETS} times that), ` +
      `after a probing call, batch sizing and ${settings.warmup_samples} warm-up samples; ` +
      `a size whose probing call took over ${settings.max_call_ms} ms twice is skipped, and so are larger ones`,
    `- Inputs: float32 logits, normal(0, 1) × ${settings.logit_scale}, seed ${settings.seed}; ` +
      `options ${JSON.stringify(settings.options)}`,
    settings.resident
      ? '- Data: resident (`--resident`): the logits are moved where each backend computes once per size (`DistBackend.bind`), ' +
        'and a call computes there and reads back only the loss, the gradient staying there, as in a training loop ' +
        '(PyTorch works on its own in-process tensors either way)'
      : '- Data: host arrays: every call takes the logits from host memory and returns the gradient in host memory, transfers included',
  ];
}

function loadLine(report: BenchReport): string[] {
  const load = report.machine.load_average;
  if (!load) return [];
  const busy = busyMachine(report.machine);
  return [
    `- Load average when the run started: ${load.join(', ')}${busy ? ` ⚠ busy machine (${report.machine.cores} cores): times below may be inflated by other work` : ''}`,
  ];
}

function backendTable(report: BenchReport): string {
  const rows = report.backends.map((b) => [
    b.name,
    b.role,
    b.available ? 'measured' : 'unavailable',
    b.available
      ? `${b.device ?? ''}${b.software ? ' (software emulation)' : ''}`
      : `${b.reason ?? ''}${b.hint ? ` (${b.hint})` : ''}`,
  ]);
  return markdownTable(['backend', 'role', 'status', 'device, or why it is unavailable'], rows);
}

/** One row per size and backend; a column per measured baseline with baseline median ÷ this median. */
function resultTable(report: BenchReport, results: readonly ResultEntry[]): string {
  const baselines = report.backends
    .filter((b) => b.role === 'baseline' && results.some((r) => r.backend === b.name && r.status === 'measured'))
    .map((b) => b.name);
  // Columns of what tfjs tells, only where some result has it (a run without tfjs has none).
  const memoryColumns = [
    { title: 'tfjs tensors (+left by the case)', cell: formatTensors },
    { title: 'GPU memory (tfjs)', cell: formatGpuMemory },
  ].filter((column) => results.some((r) => column.cell(r.memory) !== ''));
  const header = [
    'size (BxC)',
    'backend',
    'median ms',
    'p99 ms',
    'first call ms',
    'samples',
    'MAD/median',
    'Melem/s',
    'peak RSS',
    ...memoryColumns.map((column) => column.title),
    ...baselines.map((b) => `vs ${b}`),
    'notes',
  ];
  const rows: string[][] = [];
  for (const size of sortSizes(uniqueSizes(results))) {
    const here = results.filter((r) => r.batch === size.batch && r.classes === size.classes);
    for (const result of here) {
      const cells = result.status === 'measured' ? measuredCells(result) : ['—', '—', firstCall(result), '—', '—', '—', '—'];
      const ratios = baselines.map((name) => {
        const base = here.find((r) => r.backend === name && r.status === 'measured');
        return base && result.status === 'measured' ? formatRatio(base.median_ms! / result.median_ms!) : '—';
      });
      const memory = memoryColumns.map((column) => column.cell(result.memory) || '—');
      rows.push([sizeLabel(size), result.backend, ...cells, ...memory, ...ratios, notes(result)]);
    }
  }
  return markdownTable(header, rows);
}

function measuredCells(result: ResultEntry): string[] {
  return [
    formatMs(result.median_ms!),
    formatMs(result.p99_ms!),
    firstCall(result),
    result.calls_per_sample && result.calls_per_sample > 1 ? `${result.samples} × ${result.calls_per_sample} calls` : String(result.samples),
    result.rel_mad!.toFixed(3),
    formatThroughput(result.throughput_eps!),
    result.memory?.peak_rss_bytes !== undefined ? formatMiB(result.memory.peak_rss_bytes) : '—',
  ];
}

function firstCall(result: ResultEntry): string {
  return result.first_call_ms !== undefined ? formatMs(result.first_call_ms) : '—';
}

export function notes(result: ResultEntry): string {
  const parts: string[] = [];
  if (result.status !== 'measured') parts.push(`${result.status}: ${result.reason ?? ''}`);
  if (result.noisy) parts.push(`⚠ noisy (${(result.noise ?? []).join(', ')})`);
  if (result.loss_check === 'mismatch') parts.push(`⚠ loss ${result.loss} differs from the float64 reference`);
  return parts.join('; ');
}

function legend(report: BenchReport): string[] {
  const { noise } = report.settings;
  return [
    '## How to read this',
    '',
    '- `vs <baseline>`: the baseline\'s median divided by this row\'s median at the same size; above 1× the row is faster.',
    '- Melem/s: B×C logits per second at the median.',
    '- first call ms: the first call at that size (shader compilation, kernel and buffer set-up), apart from the steady state of the median.',
    '- peak RSS: the Node process\'s peak resident memory when the case finished (all backends so far share the process).',
    '- tfjs tensors: live tensors in tfjs\'s engine after a tfjs case (one engine per process or page, shared by the tfjs subjects), ' +
      'and in brackets those the case added: 0 when it left none behind.',
    '- GPU memory (tfjs): on tfjs-webgpu and tfjs-webgl, the GPU memory holding tensors of that allocated (tfjs pools freed ' +
      'buffers and textures), and on tfjs-webgpu its buffers in use + free in the pool. tfjs-webgl keeps its texture counts ' +
      'private, and @dist-kd/backend-webgpu tells no buffer count, so neither has one here.',
    '- samples: timed samples; "N × k calls" means calls too fast for the timer were timed k at a time, each sample their mean.',
    `- ⚠ noisy: MAD/median over ${noise.max_rel_mad}, p99/median over ${noise.max_p99_over_median}, or fewer than ` +
      `${noise.min_samples} samples; compare such rows with care.`,
    '- Every loss is checked against core\'s float64 reference; a mismatch is marked.',
    '',
  ];
}

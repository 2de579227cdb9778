/**
 * Merges reports from several machines into one Markdown table and one chart per op. Refuses what
 * cannot be compared: fewer than two reports, different DIST options, or no size measured in all.
 */
import { compareChart, ratioChart, type LabelledReport } from './charts.js';
import { BenchUsageError } from './errors.js';
import { formatBytes, formatMs, formatRatio, markdownTable } from './format.js';
import { measured, type BenchReport } from './report.js';
import { OPS, sizeLabel, sortSizes, uniqueSizes, type Op } from './sizes.js';
import { lineChartSvg } from './svg.js';

export interface Comparison {
  readonly markdown: string;
  /** Times per backend and machine, and each backend's speed-up over its baseline per machine. */
  readonly charts: ReadonlyArray<{ readonly op: Op; readonly kind: ChartKind; readonly svg: string }>;
}

export type ChartKind = 'times' | 'ratios';

/** `chartFile(op, kind)` names the chart file the Markdown links to. */
export function compareReports(inputs: readonly LabelledReport[], chartFile: (op: Op, kind: ChartKind) => string): Comparison {
  if (inputs.length < 2) {
    throw new BenchUsageError(`compare needs at least two reports, got ${inputs.length}`);
  }
  const reports = distinctLabels(inputs);
  checkSameOptions(reports);
  checkSameDataMode(reports);
  const common = commonSizes(reports);
  const charts = OPS.flatMap((op) => {
    const ratios = ratioChart(reports, op, common);
    return [
      { op, kind: 'times' as const, svg: lineChartSvg(compareChart(reports, op, common)) },
      // Only where some machine has a backend measured next to its baseline.
      ...(ratios.series.length ? [{ op, kind: 'ratios' as const, svg: lineChartSvg(ratios) }] : []),
    ];
  });

  const out = ['# DIST benchmark: machines compared', '', machineTable(reports), ''];
  const leftOut = sortSizes(uniqueSizes(reports.flatMap(({ report }) => measured(report)))).map(sizeLabel).filter((s) => !common.includes(s));
  if (leftOut.length) out.push(`Sizes not measured in every report, left out: ${leftOut.join(', ')}.`, '');
  for (const op of OPS) {
    out.push(`## ${op}`, '', `![${op}, machines compared](${chartFile(op, 'times')})`, '');
    if (charts.some((c) => c.op === op && c.kind === 'ratios')) {
      out.push(`![${op}, speed-up over each backend's baseline per machine](${chartFile(op, 'ratios')})`, '');
    }
    out.push(opTable(reports, op, common), '');
  }
  out.push(
  `\`vs ${reports[0]!.label}\`: that machine's median divided by this one's; above 1× this machine is faster. ` +
      '⚠ marks a result its own report flags as noisy.',
    '',
  );
  return { markdown: out.join('\n'), charts };
}

function distinctLabels(inputs: readonly LabelledReport[]): LabelledReport[] {
  const seen = new Map<string, number>();
  return inputs.map(({ label, report }) => {
    const count = (seen.get(label) ?? 0) + 1;
    seen.set(label, count);
    return { label: count > 1 ? `${label} (${count})` : label, report };
  });
}

/** Host-array times include transfers that resident times leave out: not the same measurement. */
function checkSameDataMode(reports: readonly LabelledReport[]): void {
  const mode = (report: BenchReport) => (report.settings.resident ? 'resident (--resident)' : 'host arrays');
  const first = mode(reports[0]!.report);
  for (const { label, report } of reports.slice(1)) {
    if (mode(report) !== first) {
      throw new BenchUsageError(
        `${label} was timed with ${mode(report)} but ${reports[0]!.label} with ${first}; run both the same way to compare them`,
      );
    }
  }
}

function checkSameOptions(reports: readonly LabelledReport[]): void {
  const first = JSON.stringify(reports[0]!.report.settings?.options);
  for (const { label, report } of reports.slice(1)) {
    const options = JSON.stringify(report.settings?.options);
    if (options !== first) {
      throw new BenchUsageError(
        `${label} was run with DIST options ${options} but ${reports[0]!.label} with ${first}; times of different computations cannot be compared`,
      );
    }
  }
}

/** Sizes measured (for some backend and op) in every report, smallest first. */
function commonSizes(reports: readonly LabelledReport[]): string[] {
  const perReport = reports.map(({ report }) => new Set(measured(report).map(sizeLabel)));
  const all = sortSizes(uniqueSizes(reports.flatMap(({ report }) => measured(report)))).map(sizeLabel);
  const common = all.filter((size) => perReport.every((sizes) => sizes.has(size)));
  if (common.length === 0) {
    const listing = reports
      .map(({ label, report }) => `${label}: ${sortSizes(uniqueSizes(measured(report))).map(sizeLabel).join(', ') || 'nothing measured'}`)
      .join('; ');
    throw new BenchUsageError(`the reports have no measured size in common, so there is nothing to compare (${listing}); rerun with a shared --sizes`);
  }
  return common;
}

function machineTable(reports: readonly LabelledReport[]): string {
  const rows = reports.map(({ label, report }) => {
    const m = report.machine;
    const gpus = m.gpus.map((g) => `${g.device}${g.software ? ' (software)' : ''}`).join('; ') || '—';
    const load = m.load_average ? String(m.load_average[0]) : '—';
    return [label, m.cpu, String(m.cores), formatBytes(m.memory_bytes), m.os, m.runtime, gpus, load, report.created_at, `${report.settings.quick ? 'quick' : 'full'}${report.settings.resident ? ', resident' : ''}`];
  });
  return markdownTable(['machine', 'CPU', 'cores', 'memory', 'OS', 'runtime', 'GPU adapters', 'load at start', 'date', 'run'], rows);
}

function opTable(reports: readonly LabelledReport[], op: Op, sizes: readonly string[]): string {
  const [first, ...others] = reports;
  const header = ['size (BxC)', 'backend', ...reports.map(({ label }) => `${label} median ms`), ...others.map(({ label }) => `${label} vs ${first!.label}`)];
  const rows: string[][] = [];
  for (const size of sizes) {
    const names = [...new Set(reports.flatMap(({ report }) => report.results.filter((r) => r.op === op && sizeLabel(r) === size).map((r) => r.backend)))];
    for (const name of names) {
      const cells = reports.map(({ report }) => cell(report, op, size, name));
      const firstMs = medianOf(first!.report, op, size, name);
      const ratios = others.map(({ report }) => {
        const ms = medianOf(report, op, size, name);
        return firstMs !== undefined && ms !== undefined ? formatRatio(firstMs / ms) : '—';
      });
      rows.push([size, name, ...cells, ...ratios]);
    }
  }
  return markdownTable(header, rows);
}

function cell(report: BenchReport, op: Op, size: string, backend: string): string {
  const result = report.results.find((r) => r.op === op && sizeLabel(r) === size && r.backend === backend);
  if (result?.status === 'measured') return `${formatMs(result.median_ms!)}${result.noisy ? ' ⚠' : ''}`;
  if (result) return result.status;
  const entry = report.backends.find((b) => b.name === backend);
  return entry && !entry.available ? 'unavailable' : 'not run';
}

function medianOf(report: BenchReport, op: Op, size: string, backend: string): number | undefined {
  const result = report.results.find((r) => r.op === op && sizeLabel(r) === size && r.backend === backend);
  return result?.status === 'measured' ? result.median_ms : undefined;
}

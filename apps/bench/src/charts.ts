/** Charts of a report (time against size per backend) and of a comparison (per backend and machine). */
import { notes } from './markdown.js';
import { measured, type BenchReport, type ResultEntry } from './report.js';
import { sizeLabel, sortSizes, uniqueSizes, type Op } from './sizes.js';
import { verdicts } from './verdicts.js';
import { PALETTE, type Chart, type ChartGap, type ChartPoint, type ChartSeries } from './svg.js';

const BASELINE_DASH = '7 4';
/** Line styles that tell machines apart in a comparison. */
const MACHINE_DASHES: ReadonlyArray<string | undefined> = [undefined, '7 4', '2 3', '10 3 2 3'];
const HOLLOW_NOTE = 'open marker: noisy result';
const GAP_NOTE = '× on the axis: skipped or failed';

export function reportChart(report: BenchReport, op: Op): Chart {
  const results = report.results.filter((r) => r.op === op);
  const series: ChartSeries[] = [];
  for (const backend of report.backends) {
    const own = results.filter((r) => r.backend === backend.name);
    const points = pointsOf(own);
    const gaps = gapsOf(own);
    if (points.length === 0 && gaps.length === 0) continue;
    series.push({
      name: backend.role === 'baseline' ? `${backend.name} (baseline)` : backend.name,
      points,
      ...(gaps.length ? { gaps } : {}),
      // The palette's first colours are the most distinct: give them to the lines drawn.
      color: PALETTE[series.length % PALETTE.length]!,
      ...(backend.role === 'baseline' ? { dash: BASELINE_DASH } : {}),
    });
  }
  return {
    title: `DIST ${op}: median time per call`,
    subtitle: `${machineSummary(report)} (${report.created_at.slice(0, 10)})`,
    categories: sortSizes(uniqueSizes(results)).map(sizeLabel),
    xLabel: 'size B×C (ordered by B·C)',
    yLabel: 'median ms per call (log scale)',
    series,
    footnote: [`dashed: baselines`, HOLLOW_NOTE, GAP_NOTE, ...notDrawn(report, op)].join('\n'),
  };
}

/** Backends without a measured point, so a chart reader knows what is missing and not only what is there. */
function notDrawn(report: BenchReport, op: Op): string[] {
  const drawn = new Set(report.results.filter((r) => r.op === op && r.status === 'measured').map((r) => r.backend));
  const missing = report.backends.filter((b) => !drawn.has(b.name)).map((b) => b.name);
  return missing.length ? ['', 'not measured (see the report):', ...wrap(missing, LEGEND_CHARS)] : [];
}

/** About what fits in the legend column at 11px. */
const LEGEND_CHARS = 36;

function wrap(words: readonly string[], width: number): string[] {
  const lines: string[] = [];
  for (const word of words) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + word.length + 2 <= width) lines[lines.length - 1] = `${last}, ${word}`;
    else lines.push(word);
  }
  return lines;
}

export interface LabelledReport {
  /** How the comparison names the machine, e.g. the file name. */
  readonly label: string;
  readonly report: BenchReport;
}

/** One line per backend and machine: colour by backend, dash pattern by machine. */
export function compareChart(reports: readonly LabelledReport[], op: Op, sizes: readonly string[]): Chart {
  // Only backends with a point get a colour, so the palette's most distinct colours go to them.
  const backendNames = [
    ...new Set(reports.flatMap(({ report }) => measured(report).filter((r) => r.op === op && sizes.includes(sizeLabel(r))).map((r) => r.backend))),
  ];
  const dashes = MACHINE_DASHES;
  const series: ChartSeries[] = [];
  reports.forEach(({ label, report }, machine) => {
    for (const name of backendNames) {
      const points = pointsOf(report.results.filter((r) => r.op === op && r.backend === name && sizes.includes(sizeLabel(r))));
      if (points.length === 0) continue;
      const dash = dashes[machine % dashes.length];
      series.push({
        name: `${name} @ ${label}`,
        points,
        color: PALETTE[backendNames.indexOf(name) % PALETTE.length]!,
        ...(dash ? { dash } : {}),
      });
    }
  });
  return {
    title: `DIST ${op}: machines compared`,
    subtitle: reports.map(({ label, report }) => `${label}: ${machineSummary(report)}`).join(' · '),
    categories: sizes,
    xLabel: 'size B×C (ordered by B·C)',
    yLabel: 'median ms per call (log scale)',
    series,
    footnote: `colour: backend; line style: machine\n${HOLLOW_NOTE}`,
  };
}

/** A short description: a browser's runtime is its whole user agent, too long for a chart. */
function machineSummary(report: BenchReport): string {
  const { machine } = report;
  const gpu = machine.gpus[0] ? `, ${machine.gpus[0].device}` : '';
  return report.environment === 'browser'
    ? `browser on ${machine.os}, ${machine.cores} cores${gpu}`
    : `${machine.cpu}, ${machine.cores} cores${gpu}, ${machine.runtime}`;
}

function gapsOf(results: readonly ResultEntry[]): ChartGap[] {
  return results.filter((r) => r.status !== 'measured').map((r) => ({ x: sizeLabel(r), note: notes(r) }));
}

function pointsOf(results: readonly ResultEntry[]): ChartPoint[] {
  return results
    .filter((r) => r.status === 'measured')
    .map((r) => ({
      x: sizeLabel(r),
      y: r.median_ms!,
      ...(r.noisy ? { hollow: true } : {}),
      ...(notes(r) ? { note: notes(r) } : {}),
    }));
}

/**
 * The headline question across machines: each backend's speed-up over its baseline (the verdicts'
 * ratio), one line per backend and machine, colour by backend, line style by machine.
 */
export function ratioChart(reports: readonly LabelledReport[], op: Op, sizes: readonly string[]): Chart {
  const perMachine = reports.map(({ label, report }) => ({
    label,
    ratios: verdicts(report).filter((v) => v.op === op && v.ratio !== undefined && sizes.includes(sizeLabel(v))),
  }));
  const pairs = [...new Set(perMachine.flatMap(({ ratios }) => ratios.map((v) => `${v.backend} vs ${v.baseline}`)))];
  const series: ChartSeries[] = [];
  perMachine.forEach(({ label, ratios }, machine) => {
    for (const pair of pairs) {
      const points = ratios
        .filter((v) => `${v.backend} vs ${v.baseline}` === pair)
        .map((v) => ({ x: sizeLabel(v), y: v.ratio!, note: `± ${v.ratio_sd!.toPrecision(2)}` }));
      if (points.length === 0) continue;
      const dash = MACHINE_DASHES[machine % MACHINE_DASHES.length];
      series.push({ name: `${pair} @ ${label}`, points, color: PALETTE[pairs.indexOf(pair) % PALETTE.length]!, ...(dash ? { dash } : {}) });
    }
  });
  return {
    title: `DIST ${op}: speed-up over each backend's baseline, machines compared`,
    subtitle: reports.map(({ label, report }) => `${label}: ${machineSummary(report)}`).join(' · '),
    categories: sizes,
    xLabel: 'size B×C (ordered by B·C)',
    yLabel: 'baseline median ÷ backend median (log scale)',
    series,
    unit: 'ratio',
    footnote: 'colour: backend; line style: machine\nabove 1×: faster than its baseline',
  };
}

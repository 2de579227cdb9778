/** Writes a run's JSON, Markdown and SVG charts, or a comparison's Markdown and charts, into a folder. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { reportChart } from './charts.js';
import { resultsCsv } from './csv.js';
import type { ChartKind, Comparison } from './compare.js';
import { stamp } from './format.js';
import { reportMarkdown } from './markdown.js';
import type { BenchReport } from './report.js';
import { OPS, type Op } from './sizes.js';
import { lineChartSvg } from './svg.js';

/** "forward+backward" -> "forward-backward": no '+' in file names. */
export function chartName(stem: string, op: Op): string {
  return `${stem}-${op.replace('+', '-')}.svg`;
}

/** A comparison's charts: times per machine, and speed-ups over the baselines (`-ratios`). */
export function comparisonChartName(stem: string, op: Op, kind: ChartKind): string {
  return kind === 'times' ? chartName(stem, op) : chartName(`${stem}-ratios`, op);
}

export async function writeRunReports(report: BenchReport, dir: string, name?: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const stem = name ?? `bench-${stamp(report.created_at)}-${report.environment}`;
  const charts = Object.fromEntries(OPS.map((op) => [op, chartName(stem, op)])) as Record<Op, string>;
  const files: Array<[string, string]> = [
    [`${stem}.json`, JSON.stringify(report, null, 2) + '\n'],
    [`${stem}.csv`, resultsCsv(report)],
    [`${stem}.md`, reportMarkdown(report, charts)],
    ...OPS.map((op): [string, string] => [charts[op], lineChartSvg(reportChart(report, op))]),
  ];
  return writeAll(dir, files);
}

export async function writeComparison(comparison: Comparison, dir: string, stem: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  return writeAll(dir, [
    [`${stem}.md`, comparison.markdown],
    ...comparison.charts.map(({ op, kind, svg }): [string, string] => [comparisonChartName(stem, op, kind), svg]),
  ]);
}

async function writeAll(dir: string, files: ReadonlyArray<[string, string]>): Promise<string[]> {
  const paths: string[] = [];
  for (const [name, content] of files) {
    const file = path.join(dir, name);
    await writeFile(file, content);
    paths.push(file);
  }
  return paths;
}

/**
 * A small hand-written SVG line chart: categories along x (problem sizes), log-scaled time along y,
 * one line per series. Plain SVG 1.1 with inline attributes, so browsers, file viewers and
 * rsvg-convert draw it alike.
 */
import { formatMs } from './format.js';

export interface ChartPoint {
  /** One of the chart's categories. */
  readonly x: string;
  readonly y: number;
  /** Drawn as an open marker. */
  readonly hollow?: boolean;
  /** Tooltip text. */
  readonly note?: string;
}

/** A size the series has no time for (skipped or failed): drawn as a cross on the x axis. */
export interface ChartGap {
  readonly x: string;
  /** Tooltip text: why there is no time. */
  readonly note: string;
}

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly ChartPoint[];
  readonly gaps?: readonly ChartGap[];
  readonly color: string;
  /** An SVG stroke-dasharray, e.g. "6 4" for baselines. */
  readonly dash?: string;
}

export interface Chart {
  readonly title: string;
  readonly subtitle?: string;
  readonly categories: readonly string[];
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  /** Text under the legend, e.g. what an open marker means. */
  readonly footnote?: string;
  /** What the values are: milliseconds (the default) or ratios (speed-ups). */
  readonly unit?: 'ms' | 'ratio';
}

/**
 * Tableau 10, in order of use: ten hues chosen to stay apart from each other (the Okabe-Ito set
 * used before has two near-identical blue and orange pairs among its first seven), then black.
 */
export const PALETTE = [
  '#1F77B4', '#FF7F0E', '#2CA02C', '#D62728', '#9467BD', '#8C564B', '#E377C2', '#7F7F7F', '#BCBD22', '#17BECF',
  '#000000',
];

const WIDTH = 960;
const HEIGHT = 540;
const PLOT = { left: 80, top: 70, right: 700, bottom: 460 };
/** About what fits on one line across the chart at 12px. */
const SUBTITLE_CHARS = 130;

export function lineChartSvg(chart: Chart): string {
  const values = chart.series.flatMap((s) => s.points.map((p) => p.y)).filter((y) => y > 0 && Number.isFinite(y));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    text(PLOT.left, 30, chart.title, { size: 18, weight: 'bold' }),
  ];
  if (chart.subtitle) parts.push(text(PLOT.left, 52, ellipsis(chart.subtitle, SUBTITLE_CHARS), { size: 12, fill: '#555555' }));
  if (values.length === 0 || chart.categories.length === 0) {
    parts.push(text((PLOT.left + PLOT.right) / 2, (PLOT.top + PLOT.bottom) / 2, 'no measured results', { size: 16, anchor: 'middle', fill: '#777777' }));
    parts.push('</svg>');
    return parts.join('\n');
  }
  const low = Math.floor(Math.log10(Math.min(...values)));
  const high = Math.max(low + 1, Math.ceil(Math.log10(Math.max(...values))));
  const yOf = (y: number) => PLOT.bottom - ((Math.log10(y) - low) / (high - low)) * (PLOT.bottom - PLOT.top);
  const step = (PLOT.right - PLOT.left) / chart.categories.length;
  const xOf = (category: string) => PLOT.left + step * (chart.categories.indexOf(category) + 0.5);

  const unit = chart.unit ?? 'ms';
  parts.push(...yAxis(low, high, yOf, unit), ...xAxis(chart.categories, xOf));
  parts.push(text(PLOT.left - 60, (PLOT.top + PLOT.bottom) / 2, chart.yLabel, { size: 13, anchor: 'middle', rotate: true }));
  parts.push(text((PLOT.left + PLOT.right) / 2, HEIGHT - 25, chart.xLabel, { size: 13, anchor: 'middle' }));
  parts.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#333333"/>`);
  for (const series of chart.series) parts.push(...seriesMarks(series, xOf, yOf, unit));
  parts.push(...legend(chart));
  parts.push('</svg>');
  return parts.join('\n');
}

function yAxis(low: number, high: number, yOf: (y: number) => number, unit: 'ms' | 'ratio'): string[] {
  const out: string[] = [];
  for (let decade = low; decade <= high; decade++) {
    for (const factor of [1, 2, 5]) {
      const value = factor * 10 ** decade;
      if (decade === high && factor > 1) break;
      const y = round(yOf(value));
      const major = factor === 1;
      out.push(`<line x1="${PLOT.left}" y1="${y}" x2="${PLOT.right}" y2="${y}" stroke="${major ? '#cccccc' : '#eeeeee'}"/>`);
      const label = unit === 'ratio' ? `${Number(value.toPrecision(3))}×` : formatTick(value);
      out.push(text(PLOT.left - 6, y + 4, label, { size: major ? 12 : 10, anchor: 'end', fill: major ? '#222222' : '#888888' }));
    }
  }
  return out;
}

function xAxis(categories: readonly string[], xOf: (c: string) => number): string[] {
  return categories.flatMap((category) => {
    const x = round(xOf(category));
    return [
      `<line x1="${x}" y1="${PLOT.top}" x2="${x}" y2="${PLOT.bottom}" stroke="#eeeeee"/>`,
      text(x, PLOT.bottom + 18, category, { size: 12, anchor: 'middle' }),
    ];
  });
}

function seriesMarks(series: ChartSeries, xOf: (c: string) => number, yOf: (y: number) => number, unit: 'ms' | 'ratio'): string[] {
  const points = series.points
    .filter((p) => p.y > 0 && Number.isFinite(p.y))
    .map((p) => ({ ...p, px: round(xOf(p.x)), py: round(yOf(p.y)) }))
    .sort((a, b) => a.px - b.px);
  const out: string[] = [];
  if (points.length > 1) {
    const path = points.map((p, k) => `${k === 0 ? 'M' : 'L'}${p.px} ${p.py}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="${series.color}" stroke-width="2"${series.dash ? ` stroke-dasharray="${series.dash}"` : ''}/>`);
  }
  for (const p of points) {
    const fill = p.hollow ? '#ffffff' : series.color;
    const value = unit === 'ratio' ? `${p.y.toPrecision(3)}×` : `${formatMs(p.y)} ms`;
    const tip = escapeXml(`${series.name}, ${p.x}: ${value}${p.note ? ` (${p.note})` : ''}`);
    out.push(`<circle cx="${p.px}" cy="${p.py}" r="4" fill="${fill}" stroke="${series.color}" stroke-width="2"><title>${tip}</title></circle>`);
  }
  // Just above the x axis, in the series' colour: the size was tried and has no time.
  for (const gap of series.gaps ?? []) {
    const [x, y] = [round(xOf(gap.x)), PLOT.bottom - 8];
    const tip = escapeXml(`${series.name}, ${gap.x}: ${gap.note}`);
    out.push(
      `<path class="gap" d="M${x - 4} ${y - 4} L${x + 4} ${y + 4} M${x - 4} ${y + 4} L${x + 4} ${y - 4}" stroke="${series.color}" stroke-width="2"><title>${tip}</title></path>`,
    );
  }
  return out;
}

function legend(chart: Chart): string[] {
  const x = PLOT.right + 24;
  const out: string[] = [];
  chart.series.forEach((series, k) => {
    const y = PLOT.top + 8 + k * 22;
    out.push(`<line x1="${x}" y1="${y}" x2="${x + 28}" y2="${y}" stroke="${series.color}" stroke-width="2"${series.dash ? ` stroke-dasharray="${series.dash}"` : ''}/>`);
    out.push(`<circle cx="${x + 14}" cy="${y}" r="4" fill="${series.color}"/>`);
    out.push(text(x + 36, y + 4, series.name, { size: 12 }));
  });
  if (chart.footnote) {
    const y = PLOT.top + 8 + chart.series.length * 22 + 14;
    chart.footnote.split('\n').forEach((line, k) => out.push(text(x, y + k * 16, line, { size: 11, fill: '#555555' })));
  }
  return out;
}

interface TextStyle {
  size: number;
  anchor?: 'start' | 'middle' | 'end';
  weight?: string;
  fill?: string;
  rotate?: boolean;
}

function text(x: number, y: number, content: string, style: TextStyle): string {
  const attributes = [
    `x="${round(x)}"`,
    `y="${round(y)}"`,
    `font-size="${style.size}"`,
    `fill="${style.fill ?? '#222222'}"`,
    style.anchor ? `text-anchor="${style.anchor}"` : '',
    style.weight ? `font-weight="${style.weight}"` : '',
    style.rotate ? `transform="rotate(-90 ${round(x)} ${round(y)})"` : '',
  ].filter(Boolean);
  return `<text ${attributes.join(' ')}>${escapeXml(content)}</text>`;
}

export function formatTick(value: number): string {
  if (value >= 1000) return `${value / 1000} s`;
  return value >= 1 ? String(Number(value.toPrecision(3))) : String(Number(value.toPrecision(2)));
}

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function ellipsis(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

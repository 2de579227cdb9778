/** One line of a chart, with an optional shaded band (e.g. the min..max over seeds) around it. */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  readonly band?: readonly (readonly [x: number, low: number, high: number])[];
  readonly dashed?: boolean;
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Formats an x or y tick, e.g. as a percentage. */
  readonly formatX?: (value: number) => string;
  readonly formatY?: (value: number) => string;
}

const PANEL_WIDTH = 560;
const LEGEND_WIDTH = 190;
const HEIGHT = 460;
const MARGIN = { left: 70, right: 20, top: 48, bottom: 56 };
const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';

/** A self-contained SVG line chart: axes with "nice" ticks, one polyline per series, a legend on the right. */
export function renderLineChart(chart: LineChart): string {
  return renderPanels([chart]);
}

/**
 * Charts side by side in one SVG (e.g. a whole run and a zoom on its end). The legend, right of the
 * last chart, lists every series name once.
 */
export function renderPanels(charts: readonly LineChart[]): string {
  const widths = charts.map((_, i) => (i === charts.length - 1 ? PANEL_WIDTH + LEGEND_WIDTH : PANEL_WIDTH));
  const total = widths.reduce((sum, w) => sum + w, 0);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="${HEIGHT}" viewBox="0 0 ${total} ${HEIGHT}">`,
    `<rect width="${total}" height="${HEIGHT}" fill="white"/>`,
  ];
  let offset = 0;
  charts.forEach((chart, i) => {
    parts.push(`<g transform="translate(${offset} 0)">`, ...panel(chart), '</g>');
    offset += widths[i];
  });
  const legend = charts.flatMap((chart) => chart.series).filter((series, i, all) => all.findIndex((s) => s.name === series.name) === i);
  parts.push(...legendEntries(legend, offset - LEGEND_WIDTH + 16));
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function panel(chart: LineChart): string[] {
  const xs = chart.series.flatMap((s) => s.points.map(([x]) => x));
  const ys = chart.series.flatMap((s) => [...s.points.map(([, y]) => y), ...(s.band ?? []).flatMap(([, lo, hi]) => [lo, hi])]);
  if (xs.length === 0) throw new RangeError('a chart needs at least one point');
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), 8);
  const yTicks = niceTicks(Math.min(...ys), Math.max(...ys), 6);
  const [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]];
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const plotW = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0 || 1)) * plotW;
  const py = (y: number) => MARGIN.top + plotH - ((y - y0) / (y1 - y0 || 1)) * plotH;
  const formatX = chart.formatX ?? ((v: number) => String(round(v)));
  const formatY = chart.formatY ?? ((v: number) => String(round(v)));
  const parts: string[] = [
    `<text x="${MARGIN.left + plotW / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold" ${FONT}>${escapeXml(chart.title)}</text>`,
  ];
  for (const y of yTicks) {
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${f(py(y))}" y2="${f(py(y))}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${f(py(y) + 4)}" text-anchor="end" font-size="12" ${FONT}>${escapeXml(formatY(y))}</text>`);
  }
  for (const x of xTicks) {
    parts.push(`<line x1="${f(px(x))}" x2="${f(px(x))}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 5}" stroke="#333"/>`);
    parts.push(`<text x="${f(px(x))}" y="${MARGIN.top + plotH + 20}" text-anchor="middle" font-size="12" ${FONT}>${escapeXml(formatX(x))}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 14}" text-anchor="middle" font-size="13" ${FONT}>${escapeXml(chart.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="13" ${FONT}>${escapeXml(chart.yLabel)}</text>`,
  );
  for (const series of chart.series) {
    if (series.band && series.band.length > 0) {
      const upper = series.band.map(([x, , hi]) => `${f(px(x))},${f(py(hi))}`);
      const lower = [...series.band].reverse().map(([x, lo]) => `${f(px(x))},${f(py(lo))}`);
      parts.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${series.color}" fill-opacity="0.15" stroke="none"/>`);
    }
    const line = series.points.map(([x, y]) => `${f(px(x))},${f(py(y))}`).join(' ');
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<polyline points="${line}" fill="none" stroke="${series.color}" stroke-width="2"${dash}/>`);
  }
  return parts;
}

function legendEntries(series: readonly Series[], x: number): string[] {
  return series.flatMap((series, i) => {
    const y = MARGIN.top + 12 + i * 24;
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    return [
      `<line x1="${x}" x2="${x + 26}" y1="${y}" y2="${y}" stroke="${series.color}" stroke-width="3"${dash}/>`,
      `<text x="${x + 34}" y="${y + 4}" font-size="13" ${FONT}>${escapeXml(series.name)}</text>`,
    ];
  });
}

/** Evenly spaced ticks at 1, 2 or 5 times a power of ten that cover [min, max]. */
export function niceTicks(min: number, max: number, maxTicks: number): number[] {
  if (min === max) return [min - 1, min, min + 1];
  const raw = (max - min) / Math.max(1, maxTicks - 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  // Whole multiples of the step, not a running sum, so that no rounding error builds up and a tick at
  // zero is exactly 0 (a sum can end at 1e-18, which prints as "-0.00").
  const ticks: number[] = [];
  for (let k = Math.floor(min / step + 1e-9); (k - 1) * step < max - 1e-9 * step; k++) ticks.push(round(k * step));
  return ticks;
}

function round(value: number): number {
  return Number(value.toPrecision(10));
}

function f(value: number): string {
  return value.toFixed(1);
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

import { describe, expect, it } from 'vitest';
import { reportChart } from '../src/charts.js';
import { lineChartSvg, type Chart } from '../src/svg.js';
import { available, makeReport, timed } from './fixtures.js';

/** Checks that every element is closed in order: enough to catch broken markup. */
function expectWellFormed(svg: string): void {
  const stack: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = match;
    if (selfClosing) continue;
    if (closing) expect(stack.pop()).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
}

function circles(svg: string): Array<{ cx: number; cy: number; fill: string }> {
  return [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="4" fill="([^"]+)" stroke/g)].map((m) => ({ cx: Number(m[1]), cy: Number(m[2]), fill: m[3]! }));
}

const chart: Chart = {
  title: 'times <ms> & sizes',
  categories: ['8x10', '64x100', '256x1000'],
  xLabel: 'size',
  yLabel: 'ms',
  series: [
    { name: 'fast', color: '#0072B2', points: [{ x: '8x10', y: 0.05 }, { x: '64x100', y: 0.5 }, { x: '256x1000', y: 5, hollow: true }] },
    { name: 'slow "baseline"', color: '#D55E00', dash: '7 4', points: [{ x: '64x100', y: 50 }] },
  ],
};

describe('lineChartSvg', () => {
  const svg = lineChartSvg(chart);

  it('is a standalone, well-formed SVG document with escaped text', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expectWellFormed(svg);
    expect(svg).toContain('times &lt;ms&gt; &amp; sizes');
    expect(svg).toContain('slow &quot;baseline&quot;');
  });

  it('places points left to right by category and higher for longer times, on a log scale', () => {
    const fast = circles(svg).filter((c) => c.fill === '#0072B2' || c.fill === '#ffffff');
    expect(fast).toHaveLength(3);
    expect(fast[0]!.cx).toBeLessThan(fast[1]!.cx);
    expect(fast[1]!.cx).toBeLessThan(fast[2]!.cx);
    expect(fast[0]!.cy).toBeGreaterThan(fast[1]!.cy);
    // Equal ratios (x10 each step) are equal distances on a log axis.
    expect(fast[0]!.cy - fast[1]!.cy).toBeCloseTo(fast[1]!.cy - fast[2]!.cy, 0);
  });

  it('draws a line for a series with several points, hollow markers for noisy ones, and a legend entry per series', () => {
    expect(svg.match(/<path /g)).toHaveLength(1);
    expect(circles(svg).filter((c) => c.fill === '#ffffff')).toHaveLength(1);
    expect(svg).toContain('stroke-dasharray="7 4"');
    expect(svg).toMatch(/>fast<\/text>/);
  });

  it('says so when there is nothing to draw', () => {
    const empty = lineChartSvg({ ...chart, series: [] });
    expectWellFormed(empty);
    expect(empty).toContain('no measured results');
  });
});

describe('reportChart', () => {
  it('has one series per backend with measured results, baselines dashed, sizes ordered by B*C', () => {
    const report = makeReport(
      [available('cpu'), available('pytorch', 'baseline'), { name: 'webgpu', role: 'backend', available: false, reason: 'no adapter' }],
      [timed('cpu', [128, 32000], 'forward', 30), timed('cpu', [64, 100], 'forward', 0.1), timed('pytorch', [64, 100], 'forward', 0.3), timed('cpu', [64, 100], 'forward+backward', 0.2)],
    );
    const forward = reportChart(report, 'forward');
    expect(forward.categories).toEqual(['64x100', '128x32000']);
    expect(forward.series.map((s) => s.name)).toEqual(['cpu', 'pytorch (baseline)']);
    expect(forward.series[1]!.dash).toBeDefined();
    expect(forward.series[0]!.dash).toBeUndefined();
    expect(reportChart(report, 'forward+backward').series.map((s) => s.name)).toEqual(['cpu']);
    // What is not drawn is named, so the chart does not drop a backend silently.
    expect(forward.footnote).toMatch(/not measured \(see the report\):\nwebgpu$/);
    expect(reportChart(report, 'forward+backward').footnote).toMatch(/not measured \(see the report\):\npytorch, webgpu$/);
  });

  it('marks a skipped size on the axis with its reason, in the series colour', () => {
    const report = makeReport(
      [available('tfjs-webgpu'), available('tfjs-naive-webgpu', 'baseline')],
      [
        timed('tfjs-webgpu', [256, 1000], 'forward+backward', 20),
        { backend: 'tfjs-webgpu', batch: 1024, classes: 1000, op: 'forward+backward', status: 'skipped', reason: 'one call took 6000 ms, over the 5000 ms call limit' },
        timed('tfjs-naive-webgpu', [1024, 1000], 'forward+backward', 900),
      ],
    );
    const built = reportChart(report, 'forward+backward');
    expect(built.series[0]!.gaps).toEqual([{ x: '1024x1000', note: 'skipped: one call took 6000 ms, over the 5000 ms call limit' }]);
    const svg = lineChartSvg(built);
    expectWellFormed(svg);
    const gaps = [...svg.matchAll(/<path class="gap" d="M([\d.]+) [^"]*" stroke="([^"]+)"[^>]*><title>([^<]*)<\/title>/g)];
    expect(gaps).toHaveLength(1);
    expect(gaps[0]![2]).toBe(built.series[0]!.color);
    expect(gaps[0]![3]).toBe('tfjs-webgpu, 1024x1000: skipped: one call took 6000 ms, over the 5000 ms call limit');
    // At the 1024x1000 column, where the baseline's point is.
    const baseline = circles(svg).find((c) => c.fill === built.series[1]!.color)!;
    expect(Number(gaps[0]![1]) + 4).toBeCloseTo(baseline.cx, 0);
    expect(built.footnote).toContain('× on the axis: skipped or failed');
  });
});

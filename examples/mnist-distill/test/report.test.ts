import { describe, expect, it } from 'vitest';
import { paired } from '../src/report.js';
import { summarize } from '../src/stats.js';
import { niceTicks, renderLineChart } from '../src/svg-chart.js';

describe('summarize', () => {
  it('gives mean, sample standard deviation and range', () => {
    const stats = summarize([0.9, 0.92, 0.94]);
    expect(stats.mean).toBeCloseTo(0.92, 12);
    expect(stats.std).toBeCloseTo(0.02, 12);
    expect([stats.min, stats.max, stats.count]).toEqual([0.9, 0.94, 3]);
    expect(summarize([0.5]).std).toBe(0);
    expect(() => summarize([])).toThrow(RangeError);
  });
});

describe('paired', () => {
  it('pairs each seed with CE: gains, wins, spread', () => {
    const comparison = paired([0.91, 0.9, 0.93], [0.9, 0.9, 0.9]);
    expect(comparison.accuracy.mean).toBeCloseTo(0.913333333333, 10);
    expect(comparison.gain.mean).toBeCloseTo(0.013333333333, 10);
    expect([comparison.gain.min, comparison.gain.max]).toEqual([0, expect.closeTo(0.03, 12)]);
    // A tie is not a win.
    expect(comparison.better).toBe(2);
    expect(() => paired([0.9], [0.9, 0.8])).toThrow(RangeError);
  });
});

describe('SVG line chart', () => {
  it('picks round ticks that cover the data', () => {
    expect(niceTicks(0.83, 0.97, 6)).toEqual([0.8, 0.85, 0.9, 0.95, 1]);
    expect(niceTicks(1, 30, 8)).toEqual([0, 5, 10, 15, 20, 25, 30]);
    // A range across zero has a tick at exactly 0, not a rounding residue like -2.8e-17.
    expect(niceTicks(-0.2855, 0.0265, 6)).toEqual([-0.3, -0.2, -0.1, 0, 0.1]);
    expect(niceTicks(-0.03, 0.02, 6)).toEqual([-0.03, -0.02, -0.01, 0, 0.01, 0.02]);
  });

  it('labels the x ticks with formatX when given', () => {
    const chart = { title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', color: '#111', points: [[0.5, 1], [1, 2]] as const }] };
    expect(renderLineChart(chart)).toContain('>0.5</text>');
    const formatted = renderLineChart({ ...chart, formatX: (value) => `${value * 100}%` });
    expect(formatted).toContain('>50%</text>');
    expect(formatted).not.toContain('>0.5</text>');
  });

  it('draws a polyline per series, a band where given, and escapes text', () => {
    const svg = renderLineChart({
      title: 'a < b & c',
      xLabel: 'epoch',
      yLabel: 'accuracy',
      series: [
        { name: 'one', color: '#111', points: [[1, 0.5], [2, 0.7]], band: [[1, 0.4, 0.6], [2, 0.6, 0.8]] },
        { name: 'two', color: '#222', points: [[1, 0.6], [2, 0.8]], dashed: true },
      ],
    });
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<polygon /g)).toHaveLength(1);
    expect(svg).toContain('a &lt; b &amp; c');
    expect(svg).not.toContain('NaN');
  });
});

import { describe, expect, it } from 'vitest';
import { compareReports } from '../src/compare.js';
import { parseReport, REPORT_FORMAT } from '../src/report.js';
import { available, makeReport, timed } from './fixtures.js';

const chartFile = (op: string, kind: string) => `cmp-${op}-${kind}.svg`;

const laptop = makeReport(
  [available('cpu'), available('webgpu', 'backend', 'Apple M2')],
  [timed('cpu', [256, 1000], 'forward', 4), timed('webgpu', [256, 1000], 'forward', 1), timed('cpu', [64, 100], 'forward', 0.1)],
  { cpu: 'Apple M2' },
);
const server = makeReport(
  [available('cpu'), { name: 'webgpu', role: 'backend', available: false, reason: 'no adapter' }],
  [timed('cpu', [256, 1000], 'forward', 2), timed('cpu', [1024, 1000], 'forward', 8), timed('cpu', [256, 1000], 'forward+backward', 5, 0.5)],
  { cpu: 'EPYC 9654' },
);

describe('compareReports', () => {
  const { markdown, charts } = compareReports([{ label: 'laptop', report: laptop }, { label: 'server', report: server }], chartFile);

  it('lists the machines and keeps only the sizes every report measured', () => {
    expect(markdown).toMatch(/\| laptop \| Apple M2 \|/);
    expect(markdown).toMatch(/\| server \| EPYC 9654 \|/);
    expect(markdown).toContain('left out: 64x100, 1024x1000');
    expect(markdown).not.toMatch(/\| 64x100 \|/);
  });

  it('puts each machine\'s median side by side with the ratio to the first machine', () => {
    expect(markdown).toContain('| size (BxC) | backend | laptop median ms | server median ms | server vs laptop |');
    expect(markdown).toContain('| 256x1000 | cpu | 4.00 | 2.00 | 2.00× |');
    expect(markdown).toMatch(/\| 256x1000 \| webgpu \| 1\.00 \| unavailable \| — \|/);
    expect(markdown).toMatch(/\| 256x1000 \| cpu \| not run \| 5\.00 ⚠ \| — \|/);
  });

  it('draws one chart per op with a series per backend and machine', () => {
    // No backend here has its baseline in either report, so there are no ratio charts.
    expect(charts.map((c) => `${c.op} ${c.kind}`)).toEqual(['forward times', 'forward+backward times']);
    expect(charts[0]!.svg).toContain('cpu @ laptop');
    expect(charts[0]!.svg).toContain('cpu @ server');
    expect(markdown).toContain('](cmp-forward-times.svg)');
    expect(markdown).not.toContain('ratios.svg');
  });

  it('draws each backend\'s speed-up over its baseline per machine, where a report has both', () => {
    const size: [number, number] = [256, 1000];
    const pair = (wasm: number, naive: number) =>
      makeReport(
        [available('tfjs-wasm'), available('tfjs-naive-wasm', 'baseline')],
        [timed('tfjs-wasm', size, 'forward+backward', wasm), timed('tfjs-naive-wasm', size, 'forward+backward', naive)],
      );
    const comparison = compareReports([{ label: 'laptop', report: pair(2, 20) }, { label: 'server', report: pair(1, 5) }], chartFile);
    const ratios = comparison.charts.find((c) => c.op === 'forward+backward' && c.kind === 'ratios')!;
    expect(ratios.svg).toContain('<title>tfjs-wasm vs tfjs-naive-wasm @ laptop, 256x1000: 10.0× (± ');
    expect(ratios.svg).toContain('<title>tfjs-wasm vs tfjs-naive-wasm @ server, 256x1000: 5.00× (± ');
    expect(comparison.markdown).toContain('](cmp-forward+backward-ratios.svg)');
  });

  it('tells apart two reports with the same label', () => {
    const same = compareReports([{ label: 'run', report: laptop }, { label: 'run', report: server }], chartFile);
    expect(same.markdown).toContain('| run (2) |');
  });
});

describe('compare refuses what it cannot compare', () => {
  it('needs two reports', () => {
    expect(() => compareReports([{ label: 'a', report: laptop }], chartFile)).toThrow(/at least two reports, got 1/);
  });

  it('needs a size measured in all of them', () => {
    const other = makeReport([available('cpu')], [timed('cpu', [8, 128000], 'forward', 9)]);
    expect(() => compareReports([{ label: 'a', report: laptop }, { label: 'b', report: other }], chartFile)).toThrow(
      /no measured size in common.*\(a: 64x100, 256x1000; b: 8x128000\)/,
    );
  });

  it('needs the same DIST options', () => {
    const tau1 = { ...server, settings: { ...server.settings, options: { ...server.settings.options, tau: 1 } } };
    expect(() => compareReports([{ label: 'a', report: laptop }, { label: 'b', report: tau1 }], chartFile)).toThrow(/different computations/);
  });

  it('needs the same data mode: host arrays and resident times measure different things', () => {
    const resident = { ...server, settings: { ...server.settings, resident: true } };
    expect(() => compareReports([{ label: 'a', report: laptop }, { label: 'b', report: resident }], chartFile)).toThrow(
      /b was timed with resident \(--resident\) but a with host arrays/,
    );
  });
});

describe('parseReport', () => {
  it('accepts a report as written', () => {
    expect(parseReport(JSON.parse(JSON.stringify(laptop)), 'x.json').machine.cpu).toBe('Apple M2');
  });

  it.each([
    [[], /not a JSON object/],
    [{ results: [] }, /no "format" field/],
    [{ ...laptop, format: 'dist-kd-bench/0' }, /format "dist-kd-bench\/0" cannot be read .* reads "dist-kd-bench\/1"/],
    [{ ...laptop, results: [{ ...laptop.results[0], op: 'backward' }] }, /results\[0\] has op "backward"/],
    [{ ...laptop, results: [{ ...laptop.results[0], median_ms: undefined }] }, /measured but has no positive median_ms/],
    [{ ...laptop, backends: undefined }, /no "backends" array/],
  ])('refuses %#', (value, message) => {
    expect(() => parseReport(value, 'x.json')).toThrow(message);
    expect(() => parseReport(value, 'x.json')).toThrow(/^x\.json: /);
  });

  it('refuses a report of another format version', () => {
    expect(REPORT_FORMAT).toBe('dist-kd-bench/1');
    expect(() => parseReport({ format: 'dist-kd-bench/0' }, 'old.json')).toThrow(/^old\.json: .*dist-kd-bench\/0/);
  });
});

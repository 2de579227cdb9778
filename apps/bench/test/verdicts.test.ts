import { describe, expect, it } from 'vitest';
import { resultsCsv } from '../src/csv.js';
import { remaining } from '../src/progress.js';
import { formatFactor, verdictLine, verdicts } from '../src/verdicts.js';
import { available, makeReport, timed } from './fixtures.js';

const SIZE: [number, number] = [1024, 1000];

describe('verdicts', () => {
  it('says how many times faster a backend ran than its baseline, with the propagated spread', () => {
    const report = makeReport(
      [available('tfjs-wasm'), available('tfjs-naive-wasm', 'baseline')],
      [timed('tfjs-wasm', SIZE, 'forward+backward', 5, 0.02), timed('tfjs-naive-wasm', SIZE, 'forward+backward', 47, 0.03)],
    );
    const [verdict] = verdicts(report);
    expect(verdict).toMatchObject({ backend: 'tfjs-wasm', baseline: 'tfjs-naive-wasm', ratio: 9.4 });
    // 9.4 * 1.4826 * hypot(0.02, 0.03) = 0.5025
    expect(verdict!.ratio_sd).toBeCloseTo(0.5025, 3);
    expect(verdictLine(verdict!)).toBe('tfjs-wasm ran 9.40 ± 0.50 times faster than tfjs-naive-wasm at 1024x1000 (forward+backward)');
  });

  it('says slower, as the inverse ratio, when the backend lost', () => {
    const report = makeReport(
      [available('cpu'), available('pytorch', 'baseline')],
      [timed('cpu', SIZE, 'forward+backward', 24, 0.01), timed('pytorch', SIZE, 'forward+backward', 12, 0.01)],
    );
    expect(verdicts(report).map(verdictLine)).toEqual(['cpu ran 2.000 ± 0.042 times slower than pytorch at 1024x1000 (forward+backward)']);
  });

  it('names why a ratio is missing: a backend or baseline skipped or failed, a baseline unavailable; a backend without a baseline in the run gets none', () => {
    const report = makeReport(
      [
        available('webgpu'),
        available('tfjs-naive-webgpu', 'baseline'),
        available('tfjs-cpu'),
        { name: 'tfjs-naive-cpu', role: 'baseline', available: false, reason: 'not installed' },
        available('reference'),
        available('tfjs-webgpu'),
      ],
      [
        timed('webgpu', SIZE, 'forward+backward', 100),
        { backend: 'tfjs-naive-webgpu', batch: 1024, classes: 1000, op: 'forward+backward', status: 'failed', reason: 'device lost' },
        timed('tfjs-cpu', SIZE, 'forward+backward', 10),
        timed('reference', SIZE, 'forward+backward', 10),
        { backend: 'tfjs-webgpu', batch: 1024, classes: 1000, op: 'forward+backward', status: 'skipped', reason: 'one call took 9000 ms' },
      ],
    );
    expect(verdicts(report).map(verdictLine)).toEqual([
      'webgpu vs tfjs-naive-webgpu at 1024x1000 (forward+backward): no ratio, tfjs-naive-webgpu was failed: device lost',
      'tfjs-cpu vs tfjs-naive-cpu at 1024x1000 (forward+backward): no ratio, tfjs-naive-cpu is unavailable here: not installed',
      'tfjs-webgpu vs tfjs-naive-webgpu at 1024x1000 (forward+backward): no ratio, tfjs-webgpu was skipped: one call took 9000 ms',
    ]);
  });

  it('gives both numbers the precision of the uncertainty', () => {
    expect(formatFactor(9.4321, 0.4)).toBe('9.43 ± 0.40');
    expect(formatFactor(123.4, 12)).toBe('123 ± 12');
    expect(formatFactor(1.2345, 0)).toBe('1.23 ± 0.00');
  });
});

describe('remaining', () => {
  const size = (batch: number) => ({ batch, classes: 1000 });
  it('scales each case to come from the same backend and op at its last size, by the number of logits', () => {
    const done = [
      { backend: 'cpu', op: 'forward+backward' as const, elements: 256_000, ms: 2_000 },
      { backend: 'tfjs-naive-webgpu', op: 'forward+backward' as const, elements: 256_000, ms: 10_000 },
    ];
    const toCome = [
      { backend: 'cpu', size: size(1024), op: 'forward+backward' as const },
      { backend: 'tfjs-naive-webgpu', size: size(1024), op: 'forward+backward' as const },
    ];
    // 4x the logits: 8 s and 40 s.
    expect(remaining(toCome, done)).toBe(48_000);
    // A backend not timed yet counts as the average case so far (6 s).
    expect(remaining([{ backend: 'webgpu', size: size(256), op: 'forward+backward' }], done)).toBe(6_000);
    expect(remaining([], done)).toBeUndefined();
    expect(remaining(toCome, [])).toBeUndefined();
  });
});

describe('resultsCsv', () => {
  it('writes one row per result, quoting fields with commas, quotes or line breaks', () => {
    const report = makeReport(
      [available('cpu')],
      [
        timed('cpu', SIZE, 'forward', 2),
        { backend: 'cpu', batch: 1024, classes: 1000, op: 'forward+backward', status: 'failed', reason: 'bad "thing",\nsecond line' },
      ],
    );
    const lines = resultsCsv(report).split('\r\n');
    expect(lines[0]!.startsWith('backend,batch,classes,op,status,median_ms,p99_ms,')).toBe(true);
    expect(lines[1]!.startsWith('cpu,1024,1000,forward,measured,2,')).toBe(true);
    expect(lines[2]).toMatch(/^cpu,1024,1000,forward\+backward,failed,,.*,"bad ""thing"",\nsecond line"$/s);
    expect(lines).toHaveLength(4);
  });
});

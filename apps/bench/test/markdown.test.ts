import { describe, expect, it } from 'vitest';
import { reportMarkdown } from '../src/markdown.js';
import { available, makeReport, timed } from './fixtures.js';

const SIZE: [number, number] = [256, 1000];

function report() {
  return makeReport(
    [
      available('cpu'),
      available('webgpu', 'backend', 'SwiftShader Device'),
      { name: 'tfjs-node', role: 'backend', available: false, reason: 'tfjs_binding.node can not be found', hint: 'npm install @tensorflow/tfjs-node' },
      available('pytorch', 'baseline'),
      available('tfjs-naive-wasm', 'baseline'),
    ],
    [
      timed('cpu', SIZE, 'forward', 2),
      timed('webgpu', SIZE, 'forward', 8, 0.3),
      timed('pytorch', SIZE, 'forward', 3),
      timed('tfjs-naive-wasm', SIZE, 'forward', 40),
      { ...timed('cpu', SIZE, 'forward+backward', 5), loss: 99, loss_check: 'mismatch' },
      { backend: 'tfjs-naive-wasm', batch: 256, classes: 1000, op: 'forward+backward', status: 'skipped', reason: 'one call took 9000 ms' },
    ],
  );
}

/** The cells of the table row for a backend under an op's heading. */
function row(markdown: string, op: string, backend: string): string[] {
  const section = markdown.split(`## ${op}\n`)[1]!.split('\n## ')[0]!;
  const line = section.split('\n').find((l) => l.startsWith(`| 256x1000 | ${backend} |`));
  if (!line) throw new Error(`no row for ${backend} under ${op}`);
  return line.split(' | ').map((c) => c.replace(/^\| |\s\|$/g, ''));
}

describe('reportMarkdown', () => {
  const markdown = reportMarkdown(report(), { forward: 'f.svg', 'forward+backward': 'fb.svg' });

  it('describes the machine and lists unavailable backends with reason and hint', () => {
    expect(markdown).toContain('Test CPU 9000, 8 cores, 16.0 GiB');
    expect(markdown).toMatch(/\| tfjs-node \| backend \| unavailable \| tfjs_binding\.node can not be found \(npm install @tensorflow\/tfjs-node\) \|/);
    expect(markdown).toContain('SwiftShader Device via webgpu');
  });

  it('puts the speed-up over each measured baseline side by side', () => {
    const header = markdown.split('## forward\n')[1]!.split('\n').find((l) => l.startsWith('| size'))!;
    expect(header).toContain('| vs pytorch | vs tfjs-naive-wasm |');
    const cpu = row(markdown, 'forward', 'cpu');
    expect(cpu).toContain('1.50×');
    expect(cpu).toContain('20×');
  });

  it('marks noisy results, loss mismatches and skipped cases with their reasons', () => {
    expect(row(markdown, 'forward', 'webgpu').at(-1)).toMatch(/⚠ noisy \(MAD\/median 0\.30 > 0\.1/);
    expect(row(markdown, 'forward', 'cpu').at(-1)).toBe('');
    expect(row(markdown, 'forward+backward', 'cpu').at(-1)).toMatch(/⚠ loss 99 differs/);
    expect(row(markdown, 'forward+backward', 'tfjs-naive-wasm').at(-1)).toBe('skipped: one call took 9000 ms');
  });

  it('warns when the load average says other work competed for the cores', () => {
    const busy = reportMarkdown(makeReport([available('cpu')], [], { cores: 8, load_average: [5.5, 3, 1] }));
    expect(busy).toMatch(/Load average when the run started: 5\.5, 3, 1 ⚠ busy machine \(8 cores\)/);
    const quiet = reportMarkdown(makeReport([available('cpu')], [], { cores: 8, load_average: [0.5, 0.4, 0.2] }));
    expect(quiet).toContain('Load average when the run started: 0.5, 0.4, 0.2\n');
  });

  it('opens with the verdicts: one line per backend next to its baseline, or why there is no ratio', () => {
    const section = markdown.split('## Verdicts\n\n')[1]!.split('\n\n')[0]!;
    // cpu: pytorch 3 ms / cpu 2 ms = 1.5; each side's spread is 1.4826 * 0.01, propagated: 1.5 * 0.021 = 0.031.
    expect(section.split('\n')).toEqual([
      '- cpu ran 1.500 ± 0.031 times faster than pytorch at 256x1000 (forward)',
      '- cpu vs pytorch at 256x1000 (forward+backward): no ratio, pytorch was not timed at this size',
    ]);
  });

  it('keeps a multi-line reason inside its table row', () => {
    const reason = 'tfjs_binding.node can not be found\n  at Object.<anonymous> (index.js:1)';
    const text = reportMarkdown(makeReport([{ name: 'tfjs-node', role: 'backend', available: false, reason }], []));
    expect(text).toContain('| tfjs-node | backend | unavailable | tfjs_binding.node can not be found<br>  at Object.<anonymous> (index.js:1) |');
  });

  it('links the charts it was given', () => {
    expect(markdown).toContain('](f.svg)');
    expect(markdown).toContain('](fb.svg)');
  });
});

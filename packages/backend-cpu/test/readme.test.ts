import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { referenceDist, PRESETS } from '@dist-kd/core';

const read = (relative: string) => readFileSync(new URL(relative, import.meta.url), 'utf8');

/** The README's code block after `<!-- example: packages/backend-cpu/examples/NAME -->` equals the file. */
function expectEmbeddedVerbatim(name: string): void {
  const readme = read('../../../README.md');
  const marker = `<!-- example: packages/backend-cpu/examples/${name} -->`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const block = new RegExp(`${marker}\n\`\`\`js\n([\\s\\S]*?)\`\`\``).exec(readme);
  expect(block, 'README embeds the example after its marker').not.toBeNull();
  expect(block![1]).toBe(read(`../examples/${name}`));
}

describe('the quick-start snippet of the repository README', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is examples/quick-start.mjs, verbatim', () => expectEmbeddedVerbatim('quick-start.mjs'));

  it('runs as written and prints the reference loss', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    await import('../examples/quick-start.mjs' as string);
    const student = Float32Array.from({ length: 20 }, (_, k) => 3 * Math.sin(k));
    const teacher = Float32Array.from({ length: 20 }, (_, k) => 3 * Math.sin(k + 0.5));
    const expected = referenceDist({ student, teacher, shape: [4, 5], options: PRESETS.cifar100.options });
    expect(lines[0]).toBe(`loss ${expected.loss.toFixed(4)}: inter ${expected.inter.toFixed(4)}, intra ${expected.intra.toFixed(4)}`);
    expect(lines[1]).toMatch(/^dloss\/dstudent\[0\] = -?\d\.\d{3}e[-+]\d+$/);
  });
});

describe('the segmentation snippet of the repository README', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is examples/segmentation.mjs, verbatim', () => expectEmbeddedVerbatim('segmentation.mjs'));

  it('runs as written: the loss of the kept pixels as rows, zero gradient on void pixels', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    await import('../examples/segmentation.mjs' as string);
    // The same numbers from the reference on the kept pixels, taken out of NCHW by hand.
    const [N, C, H, W] = [2, 19, 4, 6];
    const logits = (phase: number) => Float32Array.from({ length: N * C * H * W }, (_, k) => 2 * Math.sin(0.37 * k + phase));
    const rows = (x: Float32Array) => {
      const out: number[] = [];
      for (let n = 0; n < N; n++)
        for (let p = 0; p < H * W; p++) {
          if ((n * H * W + p) % 5 === 0) continue;
          for (let c = 0; c < C; c++) out.push(x[(n * C + c) * H * W + p]);
        }
      return Float64Array.from(out);
    };
    const kept = rows(logits(0)).length / C;
    const expected = referenceDist({ student: rows(logits(0)), teacher: rows(logits(0.3)), shape: [kept, C], options: { beta: 1, gamma: 1, tau: 1, epsMode: 'official' } });
    expect(lines[0]).toBe(`loss ${expected.loss.toFixed(4)} over ${kept} of ${N * H * W} pixels`);
    expect(lines[1]).toBe(`gradient [${N * C * H * W}], at a void pixel: 0`);
  });
});

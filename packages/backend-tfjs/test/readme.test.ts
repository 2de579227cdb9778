import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

const read = (relative: string) => readFileSync(new URL(relative, import.meta.url), 'utf8');

describe('the README training snippet', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is examples/train-student.mjs, verbatim', () => {
    const readme = read('../README.md');
    const block = /<!-- example: examples\/train-student\.mjs -->\n```js\n([\s\S]*?)```/.exec(readme);
    expect(block, 'README embeds the example after its marker').not.toBeNull();
    expect(block![1]).toBe(read('../examples/train-student.mjs'));
  });

  it('is also the training snippet of the repository README', () => {
    const readme = read('../../../README.md');
    const block = /<!-- example: packages\/backend-tfjs\/examples\/train-student\.mjs -->\n```js\n([\s\S]*?)```/.exec(readme);
    expect(block, 'the repository README embeds the example after its marker').not.toBeNull();
    expect(block![1]).toBe(read('../examples/train-student.mjs'));
  });

  it('the model.fit snippet is examples/fit-student.mjs, verbatim', () => {
    const block = /<!-- example: examples\/fit-student\.mjs -->\n```js\n([\s\S]*?)```/.exec(read('../README.md'));
    expect(block, 'README embeds the example after its marker').not.toBeNull();
    expect(block![1]).toBe(read('../examples/fit-student.mjs'));
  });

  it('the model.fit snippet runs as written: the total and both terms go down, the total their sum', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    await import('../examples/fit-student.mjs' as string);
    const figures = (label: string) => {
      const match = new RegExp(`^${label.replace(/[*]/g, '\\*')} (\\S+) -> (\\S+)$`).exec(lines.find((line) => line.startsWith(`${label} `)) ?? '');
      expect(match, `a "${label} a -> b" line`).not.toBeNull();
      return [Number(match![1]), Number(match![2])] as const;
    };
    const [total, crossEntropy, dist] = [figures('loss'), figures('cross-entropy'), figures('2 * DIST')];
    for (const [start, end] of [total, crossEntropy, dist]) expect(end).toBeLessThan(start);
    expect(total[0]).toBeCloseTo(crossEntropy[0] + dist[0], 2);
    expect(total[1]).toBeCloseTo(crossEntropy[1] + dist[1], 2);
  }, 120_000);

  it('runs as written and its loss goes down', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    await import('../examples/train-student.mjs' as string);
    expect(lines[0]).toMatch(/^training on tfjs wasm \(SIMD/);
    const losses = lines.filter((line) => line.startsWith('step ')).map((line) => Number(line.split('loss ')[1]));
    expect(losses).toHaveLength(5);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[4]).toBeLessThan(losses[0]);
  }, 60_000);
});

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

const read = (relative: string) => readFileSync(new URL(relative, import.meta.url), 'utf8');

/** The code block a README embeds after `<!-- example: MARKER -->`, or null. */
function embedded(readme: string, marker: string): string | null {
  const escaped = marker.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`<!-- example: ${escaped} -->\\n\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1] ?? null;
}

/** What an example prints when it runs as written. */
async function printedBy(example: string): Promise<string[]> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  await import(`../examples/${example}`);
  return lines;
}

describe('the README snippets', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(['train-student.mjs', 'fit-student.mjs', 'accumulate-gradients.mjs'])('%s is embedded in the package README verbatim', (example) => {
    expect(embedded(read('../README.md'), `examples/${example}`), 'README embeds the example after its marker').toBe(read(`../examples/${example}`));
  });

  it('the training snippet is also that of the repository README', () => {
    const readme = read('../../../README.md');
    expect(embedded(readme, 'packages/backend-tfjs/examples/train-student.mjs'), 'the repository README embeds it').toBe(read('../examples/train-student.mjs'));
  });

  it('the model.fit snippet runs as written: the total and both terms go down, the total their sum', async () => {
    const lines = await printedBy('fit-student.mjs');
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

  it.each(['train-student.mjs', 'accumulate-gradients.mjs'])('%s runs as written and its loss goes down', async (example) => {
    const lines = await printedBy(example);
    expect(lines[0]).toMatch(/^training on tfjs wasm \(SIMD/);
    const losses = lines.filter((line) => line.startsWith('step ')).map((line) => Number(line.split('loss ')[1]));
    expect(losses).toHaveLength(5);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[4]).toBeLessThan(losses[0]);
  }, 60_000);
});

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

const read = (relative: string) => readFileSync(new URL(relative, import.meta.url), 'utf8');

describe('the README gradient accumulation snippet', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is examples/accumulate-gradients.mjs, verbatim', () => {
    const block = /<!-- example: examples\/accumulate-gradients\.mjs -->\n```js\n([\s\S]*?)```/.exec(read('../README.md'));
    expect(block, 'README embeds the example after its marker').not.toBeNull();
    expect(block![1]).toBe(read('../examples/accumulate-gradients.mjs'));
  });

  it('runs as written and its loss goes down', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    await import('../examples/accumulate-gradients.mjs' as string);
    expect(lines[0]).toMatch(/^training on tfjs wasm \(SIMD/);
    const losses = lines.filter((line) => line.startsWith('step ')).map((line) => Number(line.split('loss ')[1]));
    expect(losses).toHaveLength(5);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[4]).toBeLessThan(losses[0]);
  }, 60_000);
});

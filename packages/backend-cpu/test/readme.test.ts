import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { referenceDist, PRESETS } from '@dist-kd/core';

const read = (relative: string) => readFileSync(new URL(relative, import.meta.url), 'utf8');

describe('the quick-start snippet of the repository README', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is examples/quick-start.mjs, verbatim', () => {
    const readme = read('../../../README.md');
    const block = /<!-- example: packages\/backend-cpu\/examples\/quick-start\.mjs -->\n```js\n([\s\S]*?)```/.exec(readme);
    expect(block, 'README embeds the example after its marker').not.toBeNull();
    expect(block![1]).toBe(read('../examples/quick-start.mjs'));
  });

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

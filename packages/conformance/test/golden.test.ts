import { describe, expect, it } from 'vitest';
import { BUNDLED_GOLDEN, GoldenFormatError, loadGoldenFiles, parseGoldenFile } from '../src/index.js';

describe('bundled golden files', async () => {
  const files = await loadGoldenFiles();
  const cases = files.flatMap((file) => file.cases.map((c) => ({ ...c, mode: c.eps_mode ?? 'design-note' })));

  it('ship both eps placements, named after them, and the extensions', () => {
    expect(BUNDLED_GOLDEN.map((url) => url.pathname.replace(/^.*\//, ''))).toEqual(['design-note.json', 'official.json', 'extensions.json']);
    expect(new Set(files[0].cases.map((c) => c.eps_mode))).toEqual(new Set(['design-note']));
    expect(new Set(files[1].cases.map((c) => c.eps_mode))).toEqual(new Set(['official']));
  });

  it('cover 1x1 to wide shapes and the edge cases SPEC.md lists', () => {
    const has = (predicate: (c: (typeof cases)[number]) => boolean) => cases.some(predicate);
    expect(has((c) => c.B === 1 && c.C === 1)).toBe(true);
    expect(has((c) => c.B === 1 && c.C > 1)).toBe(true);
    expect(has((c) => c.C === 1 && c.B > 1)).toBe(true);
    expect(cases.filter((c) => c.C >= 2000).map((c) => `${c.B}x${c.C}`)).toEqual(expect.arrayContaining(['4x2048', '2x3000']));
    expect(has((c) => c.mode === 'official' && c.C >= 2000)).toBe(true);
    expect(has((c) => c.logits_s.every((v) => Math.abs(v) < 1e-3))).toBe(true);
    expect(has((c) => c.logits_s.some((v) => Math.abs(v) > 70) && c.tau === 1)).toBe(true);
    expect(has((c) => c.logits_s.every((v, k) => v === c.logits_t[k]))).toBe(true);
    expect(has((c) => c.eps === 0)).toBe(true);
    expect(new Set(cases.map((c) => c.tau)).size).toBeGreaterThanOrEqual(4);
  });

  it('give every case a tolerance (zero only where no row is kept)', () => {
    for (const c of cases) {
      expect(c.tol, c.name).toBeDefined();
      const nothingKept = c.mask !== undefined && c.mask.every((v) => v === 0);
      expect(c.tol!.loss_atol > 0, c.name).toBe(!nothingKept);
      expect(c.tol!.grad_atol > 0, c.name).toBe(!nothingKept);
    }
  });

  it('cover SPEC "Extensions": masks (none and one kept), sigmoid, tau_squared false, NCHW and NHWC', () => {
    const has = (predicate: (c: (typeof cases)[number]) => boolean) => cases.some(predicate);
    expect(has((c) => c.mask !== undefined && c.mask.includes(0) && c.mask.includes(1))).toBe(true);
    expect(has((c) => c.mask !== undefined && c.mask.every((v) => v === 0))).toBe(true);
    expect(has((c) => c.mask !== undefined && c.mask.filter((v) => v === 1).length === 1)).toBe(true);
    expect(has((c) => c.activation === 'sigmoid' && c.mode === 'official')).toBe(true);
    expect(has((c) => c.activation === 'sigmoid' && c.mask !== undefined)).toBe(true);
    expect(has((c) => c.tau_squared === false)).toBe(true);
    expect(has((c) => c.layout === 'nchw' && c.mask !== undefined)).toBe(true);
    expect(has((c) => c.layout === 'nhwc')).toBe(true);
  });
});

describe('parseGoldenFile', () => {
  it('marks a case with a field it does not implement, which the suite refuses by name', async () => {
    const { goldenChecks } = await import('../src/checks/golden-checks.js');
    const { createReferenceBackend } = await import('@dist-kd/core');
    const file = parseGoldenFile({ format: 'dist-golden/1', cases: [{ name: 'x', B: 1, C: 2, beta: 1, gamma: 1, tau: 1, eps: 1e-8, logits_s: [0.5, 1], logits_t: [1, 0.5], loss: 1, inter: 1, intra: 0, grad_s: [0, 0], class_weights: [1, 2] }] }, 'x.json');
    expect(file.cases[0].unimplemented).toEqual(['class_weights']);
    const [check] = goldenChecks([file]);
    await expect(check.run(createReferenceBackend(), { freshBackend: async () => createReferenceBackend() })).rejects.toThrow(/refused: the case has field "class_weights"/);
  });

  const valid = {
    format: 'dist-golden/1',
    cases: [{ name: 'x', B: 1, C: 2, beta: 1, gamma: 1, tau: 1, eps: 1e-8, logits_s: [0.5, 1], logits_t: [1, 0.5], loss: 1, inter: 1, intra: 1, grad_s: [0, 0] }],
  };
  const withCase = (change: Record<string, unknown>) => ({ ...valid, cases: [{ ...valid.cases[0], ...change }] });

  it('accepts a valid file', () => {
    expect(parseGoldenFile(valid, 'x.json').cases).toHaveLength(1);
  });

  it.each([
    ['a wrong format', { ...valid, format: 'dist-golden/2' }, /format is "dist-golden\/2"/],
    ['no cases', { ...valid, cases: [] }, /non-empty array/],
    ['logits of the wrong length', withCase({ logits_s: [1] }), /logits_s must be an array of B\*C = 2/],
    ['logits that are not float32 values', withCase({ logits_s: [0.1, 1] }), /logits_s\[0\] = 0.1 is not exactly a float32 value/],
    ['an unknown eps_mode', withCase({ eps_mode: 'torch' }), /eps_mode must be one of/],
    ['a negative tolerance', withCase({ tol: { loss_atol: -1, grad_atol: 1 } }), /tol must be/],
    ['a non-finite loss', withCase({ loss: null }), /loss must be a finite number/],
    ['a mask of the wrong length', withCase({ mask: [1, 0] }), /mask must be an array of B = 1 values/],
    ['a mask value that is not 0 or 1', withCase({ mask: [0.5] }), /each 0 or 1/],
    ['an unknown activation', withCase({ activation: 'relu' }), /activation must be one of/],
    ['a layout whose shape does not fit B and C', withCase({ layout: 'nchw', shape: [1, 3, 1, 1] }), /must have C = 2/],
  ])('rejects %s, naming the file and the case', (_, document, message) => {
    expect(() => parseGoldenFile(document, 'x.json')).toThrowError(GoldenFormatError);
    expect(() => parseGoldenFile(document, 'x.json')).toThrowError(message);
    expect(() => parseGoldenFile(document, 'x.json')).toThrowError(/^x\.json: /);
  });
});

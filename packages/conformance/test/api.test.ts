import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  defineConformanceTests,
  loadGoldenFiles,
  runConformance,
  type CheckResult,
  type GoldenFile,
} from '../src/index.js';

const unavailablePath = fileURLToPath(new URL('./fixtures/unavailable-backend.mjs', import.meta.url));

describe('runConformance', () => {
  it('runs every check on the reference by name and reports each through onResult', async () => {
    const seen: CheckResult[] = [];
    const report = await runConformance('reference', { onResult: (r) => seen.push(r) });
    expect(report).toMatchObject({ backend: 'reference', precision: 'float64', failed: 0 });
    expect(report.passed).toBe(report.results.length);
    expect(seen).toEqual(report.results);
    const names = report.results.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    const golden = await loadGoldenFiles();
    const caseCount = golden.reduce((n, file) => n + file.cases.length, 0);
    expect(names.filter((n) => n.startsWith('golden/'))).toHaveLength(caseCount);
    expect(names.filter((n) => n.startsWith('property/')).length).toBeGreaterThan(20);
    expect(names.filter((n) => n.startsWith('bad-input/')).length).toBeGreaterThan(25);
  });

  it('checks extra golden files, honouring their tol and eps_mode, and can leave out the bundled ones', async () => {
    const [designNote, official] = await loadGoldenFiles();
    const source = designNote.cases.find((c) => c.name === 'small_4x5')!;
    const nearFlat = official.cases.find((c) => c.name === 'official_near_flat_3x6')!;
    const external: GoldenFile = {
      format: 'dist-golden/1',
      source: 'mine.json',
      cases: [
        { ...source, name: 'as-is' },
        { ...source, name: 'loss-off', loss: source.loss + 10 * source.tol!.loss_atol },
        // Without tol the model supplies one; official eps_mode changes the expected values.
        { ...source, name: 'no-tol', tol: undefined },
        { ...nearFlat, name: 'official' },
        // The same values read with the default eps placement no longer match.
        { ...nearFlat, name: 'official-values-without-eps-mode', eps_mode: undefined },
      ],
    };
    const report = await runConformance('reference', { golden: [external], bundledGolden: false });
    const golden = report.results.filter((r) => r.name.startsWith('golden/'));
    expect(golden.map((r) => [r.name, r.ok])).toEqual([
      ['golden/mine/as-is', true],
      ['golden/mine/loss-off', false],
      ['golden/mine/no-tol', true],
      ['golden/mine/official', true],
      ['golden/mine/official-values-without-eps-mode', false],
    ]);
    expect(golden[1].message).toMatch(/^loss = /);
  });

  it('rejects with BACKEND_UNAVAILABLE, reason and hint, for a backend that cannot run', async () => {
    await expect(runConformance(unavailablePath)).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringMatching(/no GPU adapter found.*run it on a machine with WebGPU/),
    });
  });

  it('rejects with BACKEND_UNAVAILABLE for a module that does not exist', async () => {
    await expect(runConformance('./no/such/backend.mjs')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});

describe('defineConformanceTests', () => {
  /** A framework of two functions: enough to show that nothing vitest-specific is needed. */
  function collect(create: Parameters<typeof defineConformanceTests>[0]) {
    const tests: { name: string; fn: () => Promise<void> }[] = [];
    const suites: string[] = [];
    const cleanups: (() => Promise<void>)[] = [];
    defineConformanceTests(create, {
      test: (name, fn) => tests.push({ name, fn }),
      describe: (name, fn) => {
        suites.push(name);
        fn();
      },
      afterAll: (fn) => cleanups.push(fn),
    });
    return { tests, suites, cleanups };
  }

  it('registers one test per check and creates the backend once', async () => {
    let created = 0;
    const { tests, suites, cleanups } = collect(async () => {
      created++;
      const { createReferenceBackend } = await import('@dist-kd/core');
      return createReferenceBackend();
    });
    expect(suites).toEqual(['DIST backend conformance']);
    expect(tests.length).toBeGreaterThan(100);
    for (const t of tests.slice(0, 5)) await t.fn();
    expect(created).toBe(1);
    expect(cleanups).toHaveLength(1);
    await cleanups[0]();
  });

  it('fails every test with the reason when the backend is unavailable, skipping none', async () => {
    const { tests, cleanups } = collect(unavailablePath);
    for (const t of [tests[0], tests[tests.length - 1]]) {
      await expect(t.fn()).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    }
    await cleanups[0]();
  });
});

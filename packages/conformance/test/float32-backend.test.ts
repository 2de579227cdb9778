// The suite on genuinely float32 arithmetic: its tolerances must accept a careful float32 backend
// with naive sequential sums, also one whose exp is off by 7e-7 (a fast polynomial exp's error).
import { afterAll, describe, expect, it } from 'vitest';
import { conformanceChecks, defineConformanceTests, loadGoldenFiles } from '../src/index.js';
import { checkContext } from '../src/check.js';
import { caseOptions } from '../src/checks/golden-checks.js';
import { float32Backend } from './fixtures/float32-backend.js';

const ratioOf = (error: number, tolerance: number) => (error === 0 ? 0 : error / tolerance);

defineConformanceTests(() => float32Backend(), { test: it, describe, afterAll, title: 'float32 emulation' });
defineConformanceTests(() => float32Backend(7e-7), { test: it, describe, afterAll, title: 'float32 emulation, exp error 7e-7' });

describe('float32 emulation against the golden tolerances', () => {
  it.each([0, 7e-7])('stays under half of every tolerance (exp error %s)', async (expError) => {
    const backend = float32Backend(expError);
    let worst = { ratio: 0, where: '' };
    for (const file of await loadGoldenFiles()) {
      for (const c of file.cases) {
        const result = await backend.compute({
          student: Float32Array.from(c.logits_s),
          teacher: Float32Array.from(c.logits_t),
          shape: c.shape ?? [c.B, c.C],
          ...(c.layout ? { layout: c.layout } : {}),
          ...(c.mask ? { mask: c.mask } : {}),
          options: caseOptions(c),
          gradient: true,
        });
        const gradientError = c.grad_s.reduce((m, g, k) => Math.max(m, Math.abs(result.gradient![k] - g)), 0);
        for (const [what, ratio] of [
          // A zero tolerance (no kept row) asks for exact zeros: 0 / 0 is no error.
          ['loss', ratioOf(Math.abs(result.loss - c.loss), c.tol!.loss_atol)],
          ['gradient', ratioOf(gradientError, c.tol!.grad_atol)],
        ] as const) {
          if (ratio > worst.ratio) worst = { ratio, where: `${c.name} ${what}` };
        }
      }
    }
    console.info(`float32 emulation (exp error ${expError}): largest error / tolerance ${worst.ratio.toFixed(3)} (${worst.where})`);
    expect(worst.ratio).toBeLessThan(0.5);
  });
});

describe('finite differences on float32 arithmetic', () => {
  it('catch a gradient 0.3% off', async () => {
    const exact = float32Backend();
    const scaled = {
      ...exact,
      compute: async (request: Parameters<typeof exact.compute>[0]) => {
        const result = await exact.compute(request);
        return result.gradient ? { ...result, gradient: result.gradient.map((g) => g * 1.003) } : result;
      },
    };
    const checks = conformanceChecks([]).filter((c) => c.name.startsWith('property/gradient-vs-finite-differences'));
    const names = ['property/gradient-vs-finite-differences [5x7 tau=2]', 'property/gradient-vs-finite-differences [4x6 official tau=1]'];
    const selected = checks.filter((c) => names.includes(c.name));
    expect(selected.map((c) => c.name)).toEqual(names);
    for (const check of selected) {
      const { context } = checkContext(undefined);
      await check.run(exact, context);
      await expect(check.run(scaled, context), check.name).rejects.toThrow(/finite differences of the backend's loss give/);
    }
  });
});

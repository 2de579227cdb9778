import { describe, expect, it } from 'vitest';
import { runConformance, type ConformanceReport } from '../src/index.js';
import { flawedBackend } from './fixtures/flawed-backends.mjs';

const reports = new Map<string, Promise<ConformanceReport>>();
function reportFor(flaw: string): Promise<ConformanceReport> {
  // A module rather than a backend object, so that the lifecycle checks can make backends of their own.
  if (!reports.has(flaw)) reports.set(flaw, runConformance({ createBackend: () => flawedBackend(flaw) }));
  return reports.get(flaw)!;
}

const failedNames = (report: ConformanceReport) => report.results.filter((r) => !r.ok).map((r) => r.name);
/** Whether every failed check is one of bindings or the lifecycle: golden, value and bad-input checks all passed. */
const onlyBindingChecks = (report: ConformanceReport) =>
  failedNames(report).every((n) => /^(bind|lifecycle)\/|^property\/interleaved-calls/.test(n));
const resultOf = (report: ConformanceReport, name: string) => {
  const result = report.results.find((r) => r.name === name);
  if (!result) throw new Error(`no check named ${name}`);
  return result;
};

describe('the suite catches each deliberate flaw', () => {
  it('a gradient 0.1% off: golden gradients and finite differences fail, input checks pass', async () => {
    const report = await reportFor('gradient-scaled');
    expect(resultOf(report, 'golden/design-note/small_4x5').message).toMatch(/^gradient\[/);
    expect(resultOf(report, 'property/gradient-vs-finite-differences [5x7 tau=2]').ok).toBe(false);
    expect(failedNames(report).filter((n) => n.startsWith('bad-input/'))).toEqual([]);
    expect(resultOf(report, 'property/determinism [16x300]').ok).toBe(true);
  });

  it('ignoring epsMode: the official golden cases fail, the design-note ones pass', async () => {
    const report = await reportFor('ignores-eps-mode');
    const failed = failedNames(report);
    expect(failed).toContain('golden/official/official_near_flat_3x6');
    expect(failed.filter((n) => n.startsWith('golden/design-note/'))).toEqual([]);
  });

  it('NaN instead of an error: every bad-input check fails', async () => {
    const report = await reportFor('nan-instead-of-error');
    // Checks that a backend computes (float64 taus beyond float32, the ends of the tau range) pass for it.
    const badInput = report.results.filter(
      (r) => r.name.startsWith('bad-input/') && !r.name.includes('float64 backends accept') && !r.name.includes('range-computes'),
    );
    expect(badInput.length).toBeGreaterThan(25);
    for (const result of badInput) expect(result, result.name).toMatchObject({ ok: false });
    expect(resultOf(report, 'bad-input/NON_FINITE/nan-student').message).toMatch(/result\.loss is NaN|accepted the input/);
    expect(failedNames(report).filter((n) => n.startsWith('golden/'))).toEqual([]);
  });

  it('throwing synchronously instead of rejecting is reported as such', async () => {
    const report = await reportFor('throws-synchronously');
    expect(resultOf(report, 'bad-input/BAD_OPTION/tau-zero').message).toMatch(/threw synchronously/);
    // DEGENERATE is found while computing, inside the reference's async function: it rejects.
    expect(resultOf(report, 'bad-input/DEGENERATE/eps-zero-single-row').ok).toBe(true);
  });

  it('the per-shard (local) loss instead of the whole batch\'s: the shard checks fail, nothing else', async () => {
    const report = await reportFor('shards-local');
    const failed = failedNames(report);
    expect(failed.length).toBeGreaterThan(20);
    expect(failed.every((name) => name.startsWith('shards/'))).toBe(true);
    expect(resultOf(report, 'shards/design-note/small_4x5 [3+1]').message).toMatch(/loss|intra|gradient/);
    // Splits whose rows are all in one shard have no other shard to differ from.
    expect(resultOf(report, 'shards/design-note/single_row_1x7 [1+0]').ok).toBe(true);
  });

  it('state kept between calls fails determinism only', async () => {
    const report = await reportFor('stateful');
    expect(failedNames(report)).toEqual(['property/determinism [16x300]']);
    expect(resultOf(report, 'property/determinism [16x300]').message).toMatch(/loss differs between two identical calls/);
  });

  it('writing into the caller\'s logits fails inputs-unchanged', async () => {
    const report = await reportFor('mutates-input');
    expect(resultOf(report, 'property/inputs-unchanged').message).toMatch(/changed the student Float32Array/);
  });

  it('a gradient of the wrong array type fails every check that asks for one', async () => {
    const report = await reportFor('float64-gradient-always');
    expect(resultOf(report, 'golden/design-note/small_4x5').message).toMatch(/is a Float64Array, expected a Float32Array/);
    expect(resultOf(report, 'property/input-types [5x7 tau=2]').ok).toBe(false);
  });

  it('readGradient after compute(false) returning an old gradient fails gradient-on-demand and the lifecycle checks', async () => {
    const report = await reportFor('bind-stale-gradient');
    expect(failedNames(report)).toContain('bind/gradient-on-demand [3x40 design-note defaults]');
    expect(failedNames(report)).toContain('property/interleaved-calls [seed 20261202]');
    expect(onlyBindingChecks(report)).toBe(true);
  });

  it('bindings sharing their logits fail independent-bindings', async () => {
    const report = await reportFor('bind-shared-state');
    expect(failedNames(report)).toContain('bind/independent-bindings [6x20]');
    expect(resultOf(report, 'bind/matches-compute [12x40]').ok).toBe(true);
  });

  it('computing after dispose fails bind/dispose only', async () => {
    const report = await reportFor('bind-ignores-dispose');
    expect(failedNames(report)).toEqual(['bind/dispose']);
  });

  // The two below keep their own binding state with plain Errors, so the lifecycle checks fail too.
  it('computing on the caller\'s arrays after bind fails owns-its-logits', async () => {
    const report = await reportFor('bind-keeps-caller-arrays');
    expect(failedNames(report)).toContain('bind/owns-its-logits');
    expect(onlyBindingChecks(report)).toBe(true);
  });

  it('a bind that validates nothing fails bind/bad-input (and, binding late, owns-its-logits)', async () => {
    const report = await reportFor('bind-unvalidated');
    expect(failedNames(report)).toEqual(expect.arrayContaining(['bind/owns-its-logits', 'bind/bad-input']));
    expect(onlyBindingChecks(report)).toBe(true);
    expect(resultOf(report, 'bind/bad-input').message).toMatch(/bind accepted the input; expected a DistInputError with code NON_FINITE/);
  });

  it('float32-rounded results, declared float32, pass everything', async () => {
    const report = await reportFor('float32-rounded');
    expect(failedNames(report)).toEqual([]);
    expect(report.precision).toBe('float32');
  });
});

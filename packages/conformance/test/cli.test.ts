// The CLI end to end: built with tsc and spawned with node, as `pnpm conformance` runs it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
// A build of its own, so that this test never rewrites dist/ while turbo builds or reads it.
const outDir = join(packageDir, '.test-dist');
const cli = join(outDir, 'cli.js');
const fixture = (name: string) => join(packageDir, 'test', 'fixtures', name);

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: packageDir, encoding: 'utf8' });
  const lines = result.stdout.trimEnd().split('\n');
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, lines, last: lines[lines.length - 1] };
}

beforeAll(() => {
  // The built CLI imports core's dist/, which turbo builds before this package's tests.
  const tsc = join(packageDir, 'node_modules', '.bin', 'tsc');
  if (!existsSync(join(packageDir, '..', 'core', 'dist', 'index.js'))) {
    execFileSync(tsc, ['-p', 'tsconfig.build.json'], { cwd: join(packageDir, '..', 'core') });
  }
  const noExtras = ['--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'];
  execFileSync(tsc, ['-p', 'tsconfig.build.json', '--outDir', outDir, ...noExtras], { cwd: packageDir });
}, 120_000);

describe('dist-kd-conformance CLI', () => {
  it('passes the reference: exit 0 and a last line "N passed, 0 failed"', () => {
    const { status, last, lines } = run('--backend', 'reference');
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(last).toMatch(/^\d+ passed, 0 failed$/);
    expect(Number(last.split(' ')[0])).toBeGreaterThan(100);
    expect(status).toBe(0);
  });

  it('reports each failed check of a broken backend module on its own line and exits 1', () => {
    const { status, last, lines } = run('--backend', fixture('flawed-backends.mjs'));
    const failures = lines.filter((l) => l.startsWith('FAIL '));
    expect(failures.length).toBeGreaterThan(10);
    expect(failures).toContainEqual(expect.stringMatching(/^FAIL golden\/design-note\/small_4x5: gradient\[\d+, \d+\] = /));
    expect(failures).toContainEqual(expect.stringMatching(/^FAIL property\/gradient-vs-finite-differences \[5x7 tau=2\]: /));
    const [, passed, failed] = /^(\d+) passed, (\d+) failed$/.exec(last)!;
    expect(Number(failed)).toBe(failures.length);
    expect(Number(passed)).toBeGreaterThan(0);
    expect(status).toBe(1);
  });

  it('says why an unavailable backend cannot run, with the hint, and exits 2 without running anything', () => {
    const { status, stdout, stderr } = run('--backend', fixture('unavailable-backend.mjs'));
    expect(stderr).toMatch(/backend "needs-a-gpu" is unavailable: no GPU adapter found \(run it on a machine with WebGPU\)/);
    expect(stdout).not.toMatch(/passed/);
    expect(status).toBe(2);
  });

  it('takes an existing file written without "./" as a path, not a package name', () => {
    const { status, stderr } = run('--backend', 'test/fixtures/unavailable-backend.mjs');
    expect(stderr).toMatch(/no GPU adapter found/);
    expect(status).toBe(2);
  });

  it('reports a module that cannot be found as unavailable', () => {
    const { status, stderr } = run('--backend', './no-such-backend.mjs');
    expect(stderr).toMatch(/unavailable: module ".\/no-such-backend.mjs" could not be found/);
    expect(status).toBe(2);
  });

  it('checks --golden files with their own tol and fails the cases that differ', () => {
    const bundled = JSON.parse(readFileSync(join(packageDir, 'golden', 'design-note.json'), 'utf8'));
    const small = bundled.cases.find((c: { name: string }) => c.name === 'small_4x5');
    const dir = mkdtempSync(join(tmpdir(), 'golden-'));
    const file = join(dir, 'mine.json');
    const shifted = { ...small, name: 'shifted', loss: small.loss + 2 * small.tol.loss_atol };
    writeFileSync(file, JSON.stringify({ format: 'dist-golden/1', cases: [small, shifted] }));
    const { status, lines, last } = run('--backend', 'reference', '--golden', file, '--no-bundled-golden', '--verbose');
    expect(lines).toContain('ok   golden/mine/small_4x5');
    expect(lines).toContainEqual(expect.stringMatching(/^FAIL golden\/mine\/shifted: loss = /));
    // The reference offers shards: each --golden case also runs split two and three ways.
    expect(lines).toContain('ok   shards/mine/small_4x5 [3+1]');
    expect(lines).toContainEqual(expect.stringMatching(/^FAIL shards\/mine\/shifted \[1\+0\+3\]: shard 0 loss = /));
    expect(lines).toContain('optional features checked: bind, shards, sigmoid, masks, dense');
    expect(last).toMatch(/^\d+ passed, 3 failed$/);
    expect(status).toBe(1);
  });

  it('rejects a malformed golden file with its name and exits 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'golden-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ format: 'dist-golden/0', cases: [] }));
    const { status, stderr } = run('--backend', 'reference', '--golden', file);
    expect(stderr).toMatch(/bad\.json: format is "dist-golden\/0"/);
    expect(status).toBe(2);
  });

  it('says in a sentence that a --golden file does not exist, with what to do, and exits 2', () => {
    const { status, stderr } = run('--backend', 'reference', '--golden', 'no/such/cases.json');
    expect(stderr.trim()).toBe(
      'cannot run the conformance suite: golden file no/such/cases.json does not exist; --golden takes a dist-golden/1 JSON file ' +
        '(make one with `python3 scripts/generate_golden.py --out DIR` from @dist-kd/conformance)',
    );
    expect(status).toBe(2);
  });

  describe('reporters for CI', () => {
    // One passing and one failing golden case, so each format shows both.
    const goldenPair = () => {
      const bundled = JSON.parse(readFileSync(join(packageDir, 'golden', 'design-note.json'), 'utf8'));
      const small = bundled.cases.find((c: { name: string }) => c.name === 'small_4x5');
      const file = join(mkdtempSync(join(tmpdir(), 'golden-')), 'pair.json');
      writeFileSync(file, JSON.stringify({ format: 'dist-golden/1', cases: [small, { ...small, name: 'shifted', loss: small.loss + 1 }] }));
      return file;
    };
    const runWith = (reporter: string) => run('--backend', 'reference', '--no-bundled-golden', '--golden', goldenPair(), '--reporter', reporter);

    it('json: one document with every check, its time, and the reason of a failure', () => {
      const { status, stdout } = runWith('json');
      const report = JSON.parse(stdout);
      // The shifted case fails as a golden case and as each of its two shard splits.
      expect(report).toMatchObject({ format: 'dist-kd-conformance/1', backend: 'reference', precision: 'float64', failed: 3 });
      expect(report.passed + report.failed).toBe(report.results.length);
      expect(report.results.find((r: { name: string }) => r.name === 'golden/pair/small_4x5')).toMatchObject({ ok: true, ms: expect.any(Number) });
      expect(report.results.find((r: { name: string }) => r.name === 'golden/pair/shifted')).toMatchObject({ ok: false, message: expect.stringMatching(/^loss = /) });
      expect(status).toBe(1);
    });

    it('junit: a testsuite with a testcase per check and a failure element for the failed one', () => {
      const { status, stdout } = runWith('junit');
      expect(stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="dist-kd-conformance" tests="(\d+)" failures="3"/);
      const tests = Number(/tests="(\d+)"/.exec(stdout)![1]);
      expect(stdout.match(/<testcase /g)).toHaveLength(tests);
      expect(stdout).toContain('<testcase classname="golden/pair" name="small_4x5" time="');
      expect(stdout).toMatch(/<testcase classname="golden\/pair" name="shifted" time="[\d.]+">\n {6}<failure message="loss = [^"]*">/);
      expect(stdout.match(/<failure /g)).toHaveLength(3);
      expect(status).toBe(1);
    });

    it('tap: a plan, ok / not ok lines, and a YAML block with the reason', () => {
      const { status, lines } = runWith('tap');
      expect(lines[0]).toBe('TAP version 14');
      const plan = Number(/^1\.\.(\d+)$/.exec(lines[1]!)![1]);
      expect(lines.filter((l) => /^(not )?ok \d+ - /.test(l))).toHaveLength(plan);
      const failed = lines.findIndex((l) => /^not ok \d+ - golden\/pair\/shifted$/.test(l));
      expect(lines.slice(failed + 1, failed + 3)).toEqual(['  ---', expect.stringMatching(/^  message: "loss = /)]);
      expect(lines.filter((l) => l.startsWith('not ok'))).toHaveLength(3);
      expect(status).toBe(1);
    });

    it('refuses an unknown reporter', () => {
      expect(run('--backend', 'reference', '--reporter', 'xml')).toMatchObject({ status: 2, stderr: expect.stringMatching(/--reporter "xml" is not one of text, json, junit, tap/) });
    });
  });

  it('prints usage for --help and exits 2 without --backend or with an unknown option', () => {
    expect(run('--help')).toMatchObject({ status: 0, stdout: expect.stringMatching(/^Usage: dist-kd-conformance --backend/) });
    expect(run()).toMatchObject({ status: 2, stderr: expect.stringMatching(/--backend is required/) });
    expect(run('--backend', 'reference', '--frobnicate')).toMatchObject({ status: 2, stderr: expect.stringMatching(/Unknown option '--frobnicate'/) });
  });
});

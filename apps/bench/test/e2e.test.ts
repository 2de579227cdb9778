/** `pnpm bench` end to end on core's reference backend, into a temporary folder; then compare. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { parseReport, type BenchReport } from '../src/report.js';

function capture() {
  let text = '';
  return { output: { write: (chunk: string) => void (text += chunk) }, text: () => text };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dist-bench-e2e-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pnpm bench on the reference backend', () => {
  let report: BenchReport;
  let stdout: string;
  let stderr: string;

  beforeAll(async () => {
    const out = capture();
    const err = capture();
    const argv = ['--backends', 'reference,./no/such-backend.js', '--sizes', '8x10,4x6', '--full', '--time', '1', '--min-samples', '2', '--name', 'lab-box', '--out', path.join(dir, 'reports'), '--json', path.join(dir, 'copy.json')];
    expect(await main(argv, { stdout: out.output, stderr: err.output })).toBe(0);
    stdout = out.text();
    stderr = err.text();
    report = parseReport(JSON.parse(await readFile(path.join(dir, 'copy.json'), 'utf8')), 'copy.json');
  }, 60_000);

  it('writes the JSON, CSV, Markdown and two SVG charts under the --name stem and prints their paths', async () => {
    const files = (await readdir(path.join(dir, 'reports'))).sort();
    expect(files).toEqual(['lab-box-forward-backward.svg', 'lab-box-forward.svg', 'lab-box.csv', 'lab-box.json', 'lab-box.md']);
    const csv = (await readFile(path.join(dir, 'reports', 'lab-box.csv'), 'utf8')).trim().split('\r\n');
    expect(csv).toHaveLength(1 + report.results.length);
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.md'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.svg'))).toHaveLength(2);
    for (const file of files) expect(stdout).toContain(path.join(dir, 'reports', file));
    const json = files.find((f) => f.endsWith('.json'))!;
    expect(JSON.parse(await readFile(path.join(dir, 'reports', json), 'utf8'))).toEqual(report);
    const markdown = await readFile(path.join(dir, 'reports', files.find((f) => f.endsWith('.md'))!), 'utf8');
    for (const svg of files.filter((f) => f.endsWith('.svg'))) expect(markdown).toContain(`](${svg})`);
  });

  it('measures the reference at every size and op, smallest first, with losses that check out', () => {
    expect(report.results.map((r) => `${r.batch}x${r.classes} ${r.op}`)).toEqual(['4x6 forward', '4x6 forward+backward', '8x10 forward', '8x10 forward+backward']);
    for (const result of report.results) {
      expect(result).toMatchObject({ backend: 'reference', status: 'measured', loss_check: 'ok' });
      expect(result.samples).toBeGreaterThanOrEqual(2);
      expect(result.first_call_ms).toBeGreaterThan(0);
      expect(result.memory!.peak_rss_bytes).toBeGreaterThan(2 ** 20);
      expect(result.median_ms).toBeGreaterThan(0);
      expect(result.throughput_eps).toBeCloseTo((result.batch * result.classes) / (result.median_ms! / 1000), 6);
    }
  });

  it('lists a backend that cannot load as unavailable with the reason, in the report and on the terminal', () => {
    const missing = report.backends.find((b) => b.name === './no/such-backend.js');
    expect(missing).toMatchObject({ available: false });
    expect(missing!.reason).toMatch(/could not be found/);
    expect(stderr).toMatch(/unavailable .\/no\/such-backend\.js: module ".*" could not be found/);
    expect(stdout).toMatch(/Not measured, unavailable here:\nunavailable .\/no\/such-backend\.js/);
  });

  it('describes the machine and versions', () => {
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.runtime).toBe(`node ${process.version}`);
    expect(report.versions.tinybench).toMatch(/^\d+\.\d+\.\d+$/);
    expect(report.settings.min_samples).toBe(2);
  });

  it('compares the report with another machine\'s and refuses a non-report', async () => {
    const { label: _label, ...unlabelled } = report;
    const other = { ...unlabelled, machine: { ...report.machine, cpu: 'Other CPU' } };
    await writeFile(path.join(dir, 'other.json'), JSON.stringify(other));
    const out = capture();
    const compareArgs = ['compare', path.join(dir, 'copy.json'), path.join(dir, 'other.json'), '--out', path.join(dir, 'cmp')];
    expect(await main(compareArgs, { stdout: out.output, stderr: capture().output })).toBe(0);
    const written = (await readdir(path.join(dir, 'cmp'))).sort();
    expect(written.filter((f) => f.endsWith('.md'))).toHaveLength(1);
    expect(written.filter((f) => f.endsWith('.svg'))).toHaveLength(2);
    const markdown = await readFile(path.join(dir, 'cmp', written.find((f) => f.endsWith('.md'))!), 'utf8');
    // Named by its --name label when it has one, else by its file name.
    expect(markdown).toContain('| other | Other CPU |');
    expect(markdown).toMatch(/\| lab-box \| /);

    await writeFile(path.join(dir, 'notes.json'), '{ not json');
    const err = capture();
    expect(await main(['compare', path.join(dir, 'copy.json'), path.join(dir, 'notes.json')], { stdout: capture().output, stderr: err.output })).toBe(2);
    expect(err.text()).toMatch(/notes\.json: not valid JSON/);
  });
});

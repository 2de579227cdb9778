import { createReferenceBackend, type DistBackend } from '@dist-kd/core';
import { describe, expect, it } from 'vitest';
import { ALLOCATOR_ENV, allocatorSettings } from '../src/allocator.js';
import { parseArgs } from '../src/args.js';
import { makeInputs } from '../src/inputs.js';
import { reportMarkdown } from '../src/markdown.js';
import { defaultSettings } from '../src/settings.js';
import { residentSubject } from '../src/subject.js';
import { available, makeReport } from './fixtures.js';

const options = defaultSettings(true).options;

describe('--resident', () => {
  it('is off unless asked for', () => {
    expect(parseArgs([])).toMatchObject({ resident: false });
    expect(parseArgs(['--resident', '--quick'])).toMatchObject({ resident: true, quick: true });
  });

  it('times bound calls: one bind per size, each run a bound compute that equals compute', async () => {
    const reference = createReferenceBackend();
    let binds = 0;
    const counted: DistBackend = { ...reference, bind: (binding) => (binds++, reference.bind!(binding)) };
    const subject = residentSubject('reference', counted, options);
    expect(await subject.availability()).toMatchObject({ available: true });
    const inputs = makeInputs({ batch: 4, classes: 6 }, 7);
    await subject.load(inputs);
    const expected = await reference.compute({ student: inputs.student, teacher: inputs.teacher, shape: [4, 6], options, gradient: true });
    expect((await subject.run('forward+backward')).loss).toBe(expected.loss);
    expect((await subject.run('forward')).loss).toBe(expected.loss);
    await subject.load(makeInputs({ batch: 2, classes: 3 }, 8));
    expect(binds).toBe(2);
    await subject.dispose();
  });

  it('reports a backend without bind() as unavailable in this mode, saying how to time it', async () => {
    const { bind: _bind, ...withoutBind } = createReferenceBackend();
    const subject = residentSubject('plain', withoutBind, options);
    expect(await subject.availability()).toEqual({
      available: false,
      reason: 'no resident mode: the backend has no bind()',
      hint: 'run the bench without --resident',
    });
  });

  it('is stated in the report, as are host arrays when off', () => {
    const backends = [available('cpu')];
    const resident = makeReport(backends, []);
    const withResident = { ...resident, settings: { ...resident.settings, resident: true } };
    expect(reportMarkdown(withResident)).toContain('- Data: resident (`--resident`)');
    expect(reportMarkdown(resident)).toContain('- Data: host arrays');
  });
});

describe('allocator settings', () => {
  it('names the glibc variables that are set, and nothing when none is', () => {
    expect(allocatorSettings({})).toBeUndefined();
    expect(allocatorSettings({ ...ALLOCATOR_ENV })).toBe('glibc malloc MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=1073741824');
    // A setting the user made is reported as it is.
    expect(allocatorSettings({ MALLOC_TRIM_THRESHOLD_: '5' })).toBe('glibc malloc MALLOC_TRIM_THRESHOLD_=5');
  });
});

describe('the CLI under the allocator settings', () => {
  // On the built CLI, as `pnpm bench` runs it (the package's test script builds first).
  it('runs itself once more with them and records them in the report', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtemp, readFile, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dist-bench-allocator-'));
    try {
      const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MALLOC_')));
      const json = path.join(dir, 'r.json');
      const args = ['--backends', 'reference', '--sizes', '4x6', '--time', '1', '--min-samples', '2', '--out', dir, '--json', json];
      const child = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', timeout: 60_000 });
      expect(child.status, child.stderr).toBe(0);
      // One run: the parent only waits for its child, so the reports are listed once.
      expect(child.stdout.match(/Reports written:/g)).toHaveLength(1);
      const report = JSON.parse(await readFile(json, 'utf8'));
      expect(report.machine.allocator).toBe('glibc malloc MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=1073741824');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

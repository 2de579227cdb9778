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
    expect(allocatorSettings({ ...ALLOCATOR_ENV })).toBe(
      `glibc malloc MALLOC_MMAP_THRESHOLD_=${64 * 2 ** 20} MALLOC_TRIM_THRESHOLD_=${2 ** 30}`,
    );
  });
});

/**
 * The PyTorch baseline's protocol. Where python3 can import torch (Debian python3-torch), its loss
 * must match core's reference on the same inputs; where none can, it must say so with a reason.
 */
import { DEFAULT_OPTIONS, referenceDist } from '@dist-kd/core';
import { describe, expect, it } from 'vitest';
import { makeInputs } from '../src/inputs.js';
import { createTorchSubject, pythonCandidates } from '../src/torch-subject.js';

describe('PyTorch baseline', () => {
  it('is unavailable, with the reason, when the python cannot be started', async () => {
    const subject = await createTorchSubject(DEFAULT_OPTIONS, ['/no/such/python3']);
    const availability = await subject.availability();
    expect(availability.available).toBe(false);
    expect(!availability.available && availability.reason).toMatch(/\/no\/such\/python3: .*ENOENT/);
    expect(!availability.available && availability.hint).toMatch(/python3-torch/);
  });

  it('computes the design note loss on the bench inputs, or says why it cannot', async () => {
    const subject = await createTorchSubject(DEFAULT_OPTIONS, pythonCandidates());
    try {
      const availability = await subject.availability();
      if (!availability.available) {
        // Only a missing torch (or python) may stop it; any other failure of the script must show.
        expect(availability.reason).toMatch(/No module named 'torch'|ENOENT/);
        return;
      }
      expect(availability.details?.threads).toBe('2');
      const inputs = makeInputs({ batch: 6, classes: 9 }, 1);
      await subject.load(inputs);
      const expected = referenceDist({ student: inputs.student, teacher: inputs.teacher, shape: [6, 9] }).loss;
      for (const op of ['forward', 'forward+backward'] as const) {
        const outcome = await subject.run(op);
        expect(outcome.loss).toBeCloseTo(expected, 3);
        expect(outcome.measuredMs).toBeGreaterThan(0);
      }
      await expect(subject.run('sideways' as never)).rejects.toThrow(/pytorch: ValueError: unknown op/);
    } finally {
      await subject.dispose();
    }
  }, 60_000);
});

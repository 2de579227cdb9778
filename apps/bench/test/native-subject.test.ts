import { referenceDist, resolveOptions } from '@dist-kd/core';
import { describe, expect, it } from 'vitest';
import { makeInputs } from '../src/inputs.js';
import { createNativeSubject } from '../src/native-subject.js';

describe('the native ceiling', () => {
  it('computes the design note loss on the bench inputs, or says why it cannot', async () => {
    const options = resolveOptions({});
    const subject = await createNativeSubject(options, 2);
    const availability = await subject.availability();
    if (!availability.available) {
      // Only where no C compiler can build it; the reason says what to install.
      expect(availability.hint).toMatch(/gcc/);
      return;
    }
    const inputs = makeInputs({ batch: 37, classes: 101 }, 5);
    await subject.load(inputs);
    const { loss, measuredMs } = await subject.run('forward+backward');
    const expected = referenceDist({ student: inputs.student, teacher: inputs.teacher, shape: [37, 101], options }).loss;
    expect(Math.abs(loss - expected)).toBeLessThan(1e-4 * expected);
    expect(measuredMs).toBeGreaterThan(0);
    await subject.dispose();
  });
});

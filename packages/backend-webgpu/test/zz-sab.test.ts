import { it, expect } from 'vitest';
import { createBackend } from '../src/index.js';
import { logits } from './helpers.js';
it('sab', async () => {
  const backend = createBackend();
  const src = logits(12, 1);
  const student = new Float32Array(new SharedArrayBuffer(48)); student.set(src);
  await backend.compute({ student: logits(12, 3), teacher: logits(12, 2), shape: [3, 4] });
  const r = await backend.compute({ student, teacher: logits(12, 2), shape: [3, 4], gradient: true });
  expect(Number.isFinite(r.loss)).toBe(true);
  await backend.dispose();
});

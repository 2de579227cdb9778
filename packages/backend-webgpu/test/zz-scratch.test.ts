import { it } from 'vitest';
import { runConformance } from '@dist-kd/conformance';
import { createBackend } from '../src/index.js';
it('scratch', async () => {
  const variant = process.env.SCRATCH_VARIANT || undefined;
  const only = process.env.SCRATCH_ONLY;
  const t0 = Date.now();
  const report = await runConformance({ createBackend: () => createBackend(variant ? { variant } : {}) }, {
    onResult: (r) => { if (!r.ok && (!only || r.name.includes(only))) console.log('FAIL', r.name, '::', r.message.slice(0, 400)); },
  });
  console.log(report.passed, 'passed', report.failed, 'failed', Date.now() - t0, 'ms');
}, 600_000);

import { it } from 'vitest';
import { runConformance } from '../src/index.js';
it('scratch', async () => {
  const spec = process.env.SCRATCH_BACKEND ?? 'reference';
  const t0 = Date.now();
  const report = await runConformance(spec, { onResult: (r) => { if (!r.ok) console.log('FAIL', r.name, '::', r.message.slice(0, 400)); } });
  console.log(report.passed, 'passed', report.failed, 'failed', Date.now() - t0, 'ms');
}, 600_000);

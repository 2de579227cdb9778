import { it } from 'vitest';
import { runConformance } from '../src/index.js';
import { flawedBackend, FLAW_NAMES } from './fixtures/flawed-backends.mjs';
it('flaws', async () => {
  for (const flaw of FLAW_NAMES) {
    const report = await runConformance({ createBackend: () => flawedBackend(flaw) });
    console.log(flaw, JSON.stringify(report.results.filter((r) => !r.ok).map((r) => r.name + ' :: ' + r.message.slice(0, 150))));
  }
}, 300_000);

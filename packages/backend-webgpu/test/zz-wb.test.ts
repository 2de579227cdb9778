import { measureLeak } from '@dist-kd/conformance/leaks';
import { it } from 'vitest';
import { createBackend } from '../src/index.js';
import { logits } from './helpers.js';
it('long', async () => {
  const backend = createBackend();
  const request = { student: logits(8 * 16, 1), teacher: logits(8 * 16, 2), shape: [8, 16] as const, gradient: true };
  for (const calls of [2000, 5000, 10000]) console.info('compute', calls, await measureLeak(() => backend.compute(request), { calls, samples: 6 }), process.memoryUsage().rss / 1e6);
  await backend.dispose();
}, 600000);

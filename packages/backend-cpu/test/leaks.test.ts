/**
 * 2,000 calls each of a small compute (the calling thread), a wide one (the worker pool) and a
 * binding's compute: the JS heap (sampled after GC) does not grow and neither do the threads.
 */
import { measureLeak, processThreadCount, type LeakMeasurement } from '@dist-kd/conformance/leaks';
import { expect, it } from 'vitest';
import { createCpuBackend } from '../src/index.js';
import { request } from './fixtures.js';

/** Far below what one kept array or promise per call retains; above a GC'd heap's noise. */
const HEAP_BYTES_PER_CALL = 512;

it('2,000 calls each leak neither memory nor threads', async () => {
  const backend = createCpuBackend({ threads: 2 });
  const small = request(4, 8, 3);
  // 38,400 elements: above the 32,768 where the worker pool takes over.
  const wide = request(64, 600, 3);
  const bound = await backend.bind(small);
  await backend.compute(wide);
  const threadsBefore = processThreadCount();
  const measured: Record<string, LeakMeasurement> = {
    'small compute': await measureLeak(() => backend.compute(small)),
    'wide compute (workers)': await measureLeak(() => backend.compute(wide)),
    'bound compute': await measureLeak(() => bound.compute(true)),
  };
  const threadsAfter = processThreadCount();
  console.info(
    'cpu, 2,000 calls each: ' +
      Object.entries(measured)
        .map(([what, m]) => `${what} ${m.heapBytesPerCall.toFixed(1)} B/call heap, ${m.rssBytesPerCall.toFixed(0)} B/call RSS`)
        .join('; ') +
      `; threads ${threadsBefore} -> ${threadsAfter}`,
  );
  for (const [what, m] of Object.entries(measured)) expect(m.heapBytesPerCall, what).toBeLessThan(HEAP_BYTES_PER_CALL);
  expect(threadsAfter).toBe(threadsBefore);
  await backend.dispose();
}, 120_000);

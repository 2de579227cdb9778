/**
 * The runner with fake subjects that report their own call times (as the PyTorch child process
 * does), so skipping and failure paths are exercised without depending on this machine's speed.
 */
import { referenceDist } from '@dist-kd/core';
import { describe, expect, it } from 'vitest';
import type { BenchInputs } from '../src/inputs.js';
import type { Progress } from '../src/runner.js';
import { runBench } from '../src/runner.js';
import { callsPerSample, MIN_SAMPLE_MS } from '../src/measure.js';
import { defaultSettings } from '../src/settings.js';
import { disposeAll, unavailableSubject, type BenchSubject } from '../src/subject.js';

/** A subject whose every call "takes" one microsecond per logit and returns `lossOf(inputs)`. */
function fake(name: string, lossOf: (inputs: BenchInputs) => number, fail?: string, setupMs = 0): BenchSubject {
  let inputs: BenchInputs;
  let calls = 0;
  return {
    name,
    role: 'backend',
    availability: async () => ({ available: true, device: 'fake' }),
    load: async (next) => {
      inputs = next;
    },
    run: async () => {
      if (fail) throw new Error(fail);
      // The first call also pays for one-time setup, like a shader compilation.
      const setup = calls++ === 0 ? setupMs : 0;
      return { loss: lossOf(inputs), measuredMs: setup + (inputs.size.batch * inputs.size.classes) / 1000 };
    },
    dispose: async () => {},
  };
}

const right = (inputs: BenchInputs) =>
  referenceDist({ student: inputs.student, teacher: inputs.teacher, shape: [inputs.size.batch, inputs.size.classes] }).loss;

describe('runBench with more samples than the noise floor', async () => {
  // 9 samples in a 10 ms budget; the first call pays 40 ms of setup, under the 50 ms call limit.
  const settings = { ...defaultSettings(true, false, false), time_ms: 10, min_samples: 9, warmup_samples: 0, max_call_ms: 50 };
  const output = await runBench([fake('compiles', right, undefined, 40)], [{ batch: 10, classes: 10 }], settings);

  it('judges a long case on a call after the setup, so a fast backend keeps its samples', () => {
    expect(output.results[0]).toMatchObject({ status: 'measured' });
    expect(output.results[0]!.samples).toBeGreaterThanOrEqual(9);
  });
});

describe('runBench', async () => {
  // Both ops (--full), so the skip rules are seen per op.
  const settings = { ...defaultSettings(true, false, true), time_ms: 1, min_samples: 3, warmup_samples: 0, max_call_ms: 50 };
  const progress: Progress[] = [];
  const output = await runBench(
    [
      fake('steady', right),
      fake('wrong', () => 0),
      fake('broken', right, 'device lost'),
      fake('compiles', right, undefined, 1000),
      unavailableSubject('absent', 'not installed', 'npm i absent'),
      { ...fake('rude', right), availability: () => Promise.reject(new Error('no adapter object')) },
    ],
    // 1 ms, then 100 ms (over the limit), then 200 ms: given out of order on purpose.
    [{ batch: 200, classes: 1000 }, { batch: 10, classes: 100 }, { batch: 100, classes: 1000 }],
    settings,
    { onResult: (p) => progress.push(p) },
  );
  const result = (backend: string, batch: number, op = 'forward') => output.results.find((r) => r.backend === backend && r.batch === batch && r.op === op)!;

  it('lists an unavailable subject with its reason and gives it no results', () => {
    expect(output.backends.find((b) => b.name === 'absent')).toMatchObject({ available: false, reason: 'not installed', hint: 'npm i absent' });
    expect(output.results.filter((r) => r.backend === 'absent')).toEqual([]);
    expect(output.backends.find((b) => b.name === 'rude')).toMatchObject({ available: false, reason: 'availability() failed: no adapter object' });
  });

  it('times the self-timed calls, smallest size first', () => {
    expect(result('steady', 10)).toMatchObject({ status: 'measured', median_ms: 1, samples: 3, loss_check: 'ok', noisy: true });
    // 1 ms calls are timed several at a time, so that a sample lasts MIN_SAMPLE_MS; the median stays per call.
    expect(result('steady', 10).calls_per_sample! * 1).toBeGreaterThanOrEqual(MIN_SAMPLE_MS);
    expect(output.results.map((r) => r.batch).filter((b, k, all) => all.indexOf(b) === k)).toEqual([10, 100, 200]);
  });

  it('skips a size whose first call is over the limit, and larger sizes, saying why', () => {
    expect(result('steady', 100)).toMatchObject({ status: 'skipped', reason: 'one call took 100 ms, over the 50 ms call limit' });
    expect(result('steady', 200, 'forward+backward')).toMatchObject({ status: 'skipped', reason: 'one call at 100x1000 already took 100 ms, over the 50 ms call limit' });
  });

  it('does not skip a backend whose first call alone paid a one-time setup over the limit', () => {
    expect(result('compiles', 10)).toMatchObject({ status: 'measured', median_ms: 1 });
  });

  it('records the first call apart from the steady state', () => {
    expect(result('compiles', 10)).toMatchObject({ median_ms: 1, first_call_ms: 1001 });
    expect(result('steady', 10)).toMatchObject({ first_call_ms: 1 });
  });

  it('marks a loss that disagrees with the reference, and reports a failing call with its error', () => {
    expect(result('wrong', 10).loss_check).toBe('mismatch');
    expect(result('broken', 10)).toMatchObject({ status: 'failed', reason: 'device lost' });
  });

  it('reports progress once per result, counting to the total', () => {
    expect(progress.map((p) => p.index)).toEqual(output.results.map((_, k) => k + 1));
    expect(new Set(progress.map((p) => p.total))).toEqual(new Set([4 * 3 * 2]));
  });
});

describe('a baseline at a headline size', () => {
  it('is timed however slow its calls are, so the headline ratio is never missing; elsewhere the call limit applies', async () => {
    // 256x1000 takes 256 ms a call here, over the 50 ms limit; 300x1000 (not a headline size) 300 ms.
    // The reference loss of a headline size, computed once per size rather than on every fake call.
    const losses = new Map<BenchInputs, number>();
    const once = (inputs: BenchInputs) => losses.get(inputs) ?? losses.set(inputs, right(inputs)).get(inputs)!;
    const baseline = { ...fake('tfjs-naive-wasm', once), role: 'baseline' as const };
    const settings = { ...defaultSettings(true), time_ms: 1, min_samples: 10, warmup_samples: 0, max_call_ms: 50 };
    const memory = { peak_rss_bytes: 123 };
    const output = await runBench([baseline, fake('tfjs-wasm', once)], [{ batch: 256, classes: 1000 }, { batch: 300, classes: 1000 }], settings, {
      sampleMemory: () => memory,
    });
    const at = (backend: string, batch: number) => output.results.find((r) => r.backend === backend && r.batch === batch)!;
    expect(output.results.map((r) => r.op)).toEqual(Array(4).fill('forward+backward'));
    // Timed over the limit, where a backend is skipped.
    expect(at('tfjs-naive-wasm', 256)).toMatchObject({ status: 'measured', median_ms: 256, memory });
    expect(at('tfjs-wasm', 256)).toMatchObject({ status: 'skipped' });
    expect(at('tfjs-naive-wasm', 300)).toMatchObject({ status: 'skipped', reason: 'one call took 300 ms, over the 50 ms call limit' });
  }, 30_000);
});

describe('disposeAll', () => {
  it('disposes every subject and names the ones that failed to', async () => {
    let disposed = 0;
    const ok = { ...fake('ok', right), dispose: async () => void disposed++ };
    const stuck = { ...fake('stuck', right), dispose: async () => Promise.reject(new Error('device busy')) };
    expect(await disposeAll([stuck, ok])).toEqual(['stuck: dispose failed: device busy']);
    expect(disposed).toBe(1);
  });
});

describe('callsPerSample', () => {
  const quick = (ms: number): BenchSubject => ({ ...fake('quick', () => 1), run: async () => ({ loss: 1, measuredMs: ms }) });

  it('batches calls until a sample lasts MIN_SAMPLE_MS, and leaves slow calls alone', async () => {
    const calls = await callsPerSample(quick(0.25), 'forward');
    expect(calls * 0.25).toBeGreaterThanOrEqual(MIN_SAMPLE_MS);
    expect(calls * 0.25).toBeLessThan(4 * MIN_SAMPLE_MS);
    expect(await callsPerSample(quick(5), 'forward')).toBe(1);
  });

  it('grows the batch when a call times as zero, as under a coarse browser timer', async () => {
    let count = 0;
    // Each call reports 0 ms until the batch is large, like a timer that ticks every 0.1 ms.
    const coarse: BenchSubject = { ...quick(0), run: async () => ({ loss: 1, measuredMs: ++count % 40 === 0 ? 4 : 0 }) };
    expect(await callsPerSample(coarse, 'forward')).toBeGreaterThan(1);
  });
});

describe('availability checks', () => {
  it('run one at a time, since backends may share global state (tfjs has one active backend)', async () => {
    let inFlight = 0;
    let most = 0;
    const polite = (name: string): BenchSubject => ({
      ...fake(name, right),
      availability: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return { available: false, reason: 'checked' };
      },
    });
    const output = await runBench([polite('a'), polite('b'), polite('c')], [{ batch: 2, classes: 3 }], defaultSettings(true));
    expect(output.backends.map((b) => b.name)).toEqual(['a', 'b', 'c']);
    expect(most).toBe(1);
  });
});

describe('a backend whose availability() never answers', () => {
  it('is listed unavailable after the timeout instead of stalling the run', async () => {
    const hung: BenchSubject = { ...fake('hung', right), availability: () => new Promise(() => {}) };
    const output = await runBench([hung, fake('fine', right)], [{ batch: 2, classes: 3 }], { ...defaultSettings(true, false, true), time_ms: 1, min_samples: 2 }, {}, 50);
    expect(output.backends[0]).toMatchObject({ name: 'hung', available: false, reason: 'availability() failed: no answer within 0.05 s' });
    expect(output.results.filter((r) => r.backend === 'fine' && r.status === 'measured')).toHaveLength(2);
  });
});

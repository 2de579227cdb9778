/** Synthetic reports for tests: built through buildReport, with results given by their medians. */
import { buildReport } from '../src/build-report.js';
import type { BackendEntry, BenchReport, MachineInfo, ResultEntry } from '../src/report.js';
import { defaultSettings } from '../src/settings.js';
import type { Op } from '../src/sizes.js';
import { summarize } from '../src/stats.js';

export const MACHINE: Omit<MachineInfo, 'gpus'> = {
  cpu: 'Test CPU 9000',
  cores: 8,
  memory_bytes: 16 * 2 ** 30,
  os: 'Linux 6.1 x64',
  runtime: 'node v20.19.0',
};

export function available(name: string, role: BackendEntry['role'] = 'backend', device = 'test device'): BackendEntry {
  return { name, role, available: true, device };
}

/** A measured result whose samples are spread by `spread` (MAD/median) around `median`. */
export function timed(backend: string, size: [number, number], op: Op, median: number, spread = 0.01, samples = 20): ResultEntry {
  const latency = { p50: median, p99: median * (1 + 3 * spread), mean: median, min: median * (1 - spread), max: median * (1 + 3 * spread), mad: median * spread, samplesCount: samples };
  return {
    backend,
    batch: size[0],
    classes: size[1],
    op,
    status: 'measured',
    ...summarize(latency, size[0] * size[1], defaultSettings(false).noise),
    loss: 100,
    loss_check: 'ok',
  };
}

export function makeReport(backends: BackendEntry[], results: ResultEntry[], machine: Partial<MachineInfo> = {}): BenchReport {
  return buildReport({
    environment: 'node',
    machine: { ...MACHINE, ...machine },
    versions: { '@dist-kd/core': '0.1.0' },
    settings: defaultSettings(false),
    run: { backends, results },
    createdAt: new Date('2026-01-02T03:04:05Z'),
  });
}

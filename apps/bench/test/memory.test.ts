/**
 * Memory per subject: what the environment tells (peak RSS in Node) merged with what a tfjs subject's
 * own runtime tells (live tensors, the tensors a case left, GPU memory and buffers on tfjs-webgpu),
 * in the results and in the JSON, CSV and Markdown reports. Real tfjs subjects, one small size.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resultsCsv } from '../src/csv.js';
import { reportMarkdown } from '../src/markdown.js';
import { nodeMemory } from '../src/node-machine.js';
import { runBench } from '../src/runner.js';
import { defaultSettings } from '../src/settings.js';
import { disposeAll, loadSubject, type BenchSubject } from '../src/subject.js';
import { makeReport } from './fixtures.js';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!['VK_ICD_FILENAMES', 'VK_DRIVER_FILES'].some((name) => process.env[name]) && existsSync(SWIFTSHADER_ICD)) {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

describe('memory per subject', () => {
  it('tfjs subjects report live tensors and none left by a case; tfjs-webgpu its GPU memory and buffers; others only the process', async () => {
    const settings = { ...defaultSettings(true), time_ms: 20, min_samples: 3 };
    const names = ['reference', 'tfjs-wasm', 'tfjs-naive-wasm', 'tfjs-webgpu'];
    const subjects: BenchSubject[] = [];
    for (const name of names) subjects.push(await loadSubject(name, settings.options));
    try {
      const run = await runBench(subjects, [{ batch: 8, classes: 10 }], settings, { sampleMemory: nodeMemory });
      expect(run.backends.map((b) => `${b.name} ${b.available}`)).toEqual(names.map((name) => `${name} true`));
      const memory = (name: string) => run.results.find((r) => r.backend === name && r.status === 'measured')!.memory!;
      for (const name of names) expect(memory(name).peak_rss_bytes).toBeGreaterThan(2 ** 20);
      expect(memory('reference').tfjs_tensors).toBeUndefined();
      for (const name of ['tfjs-wasm', 'tfjs-naive-wasm', 'tfjs-webgpu']) {
        expect(memory(name).tfjs_tensors).toBeGreaterThanOrEqual(0);
        // Dozens of calls each: one tensor kept per call would show here.
        expect(memory(name)).toMatchObject({ tfjs_tensors_added: 0 });
      }
      expect(memory('tfjs-wasm').gpu_bytes_in_use).toBeUndefined();
      const gpu = memory('tfjs-webgpu');
      expect(gpu.gpu_bytes_allocated).toBeGreaterThanOrEqual(gpu.gpu_bytes_in_use!);
      expect(gpu.gpu_buffers_in_use).toBeGreaterThanOrEqual(0);
      expect(gpu.gpu_buffers_free).toBeGreaterThan(0);

      const report = makeReport(run.backends, run.results);
      const csv = resultsCsv(report).trim().split('\r\n');
      const header = csv[0]!.split(',');
      const webgpuRow = csv.find((line) => line.startsWith('tfjs-webgpu,'))!.split(',');
      expect(webgpuRow[header.indexOf('tfjs_tensors_added')]).toBe('0');
      expect(Number(webgpuRow[header.indexOf('gpu_buffers_free')])).toBe(gpu.gpu_buffers_free);
      const markdown = reportMarkdown(report);
      expect(markdown).toContain('| tfjs tensors (+left by the case) | GPU memory (tfjs) |');
      const webgpuLine = markdown.split('\n').find((line) => line.startsWith('| 8x10 | tfjs-webgpu |'))!;
      expect(webgpuLine).toContain(`${gpu.tfjs_tensors} (+0)`);
      expect(webgpuLine).toMatch(new RegExp(`MiB of [\\d.]+ MiB, ${gpu.gpu_buffers_in_use} buffers \\+ ${gpu.gpu_buffers_free} free`));
      expect(markdown.split('\n').find((line) => line.startsWith('| 8x10 | reference |'))).toMatch(/MiB \| — \| — \|/);
    } finally {
      await disposeAll(subjects);
    }
  }, 180_000);

  it('a case that leaves tensors behind shows them: the count after it less the count before', async () => {
    // One tensor "kept" per call, as a loss that forgot a dispose would.
    let live = 5;
    let calls = 0;
    const leaky: BenchSubject = {
      name: 'leaky',
      role: 'backend',
      availability: async () => ({ available: true }),
      load: async () => {},
      run: async () => {
        live++;
        calls++;
        return { loss: Number.NaN, measuredMs: 1 };
      },
      memory: () => ({ tfjs_tensors: live }),
      dispose: async () => {},
    };
    const settings = { ...defaultSettings(true), time_ms: 5, min_samples: 3 };
    const [result] = (await runBench([leaky], [{ batch: 2, classes: 3 }], settings)).results;
    expect(result!.memory).toEqual({ tfjs_tensors: 5 + calls, tfjs_tensors_added: calls });
    expect(calls).toBeGreaterThanOrEqual(4);
  });

  it('a run without tfjs subjects has no tfjs columns', () => {
    const report = makeReport([], [{ backend: 'cpu', batch: 8, classes: 10, op: 'forward+backward', status: 'measured', median_ms: 1, p99_ms: 1, samples: 3, rel_mad: 0, throughput_eps: 8e4, memory: { peak_rss_bytes: 2 ** 27 } }]);
    const markdown = reportMarkdown(report);
    expect(markdown).toContain('| 128 MiB |');
    expect(markdown).not.toContain('tfjs tensors (+left');
  });
});

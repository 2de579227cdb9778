import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QUICK_CONFIG } from '../src/config.js';
import type { ExperimentResult } from '../src/experiment.js';
import { silentProgress } from '../src/progress.js';
import { runExample } from '../src/run.js';

// The CI run of the example: quick mode end to end on real MNIST and the wasm backend.
describe('pnpm example --quick', () => {
  let outDir = '';
  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('trains the teacher and every student and writes a sane table, chart and JSON', async () => {
    outDir = await mkdtemp(join(tmpdir(), 'mnist-distill-'));
    const { files } = await runExample(QUICK_CONFIG, outDir, silentProgress, 'test');

    const result = JSON.parse(await readFile(files.json, 'utf8')) as ExperimentResult;
    const methodIds = result.methods.map((method) => method.id);
    expect(methodIds).toEqual(['ce', 'kd', 'dist']);
    expect(result.runs).toHaveLength(QUICK_CONFIG.studentSeeds.length * methodIds.length);

    // Chance is 10%; a teacher that learned nothing would sit near it.
    expect(result.teacher.testAccuracy).toBeGreaterThan(0.8);
    expect(result.teacher.parameters).toBeGreaterThan(result.student.parameters);
    for (const run of result.runs) {
      expect(run.testAccuracy).toBeGreaterThan(0.5);
      expect(run.testAccuracy).toBeLessThanOrEqual(1);
      expect(run.history).toHaveLength(QUICK_CONFIG.student.epochs);
      for (const epoch of run.history) {
        expect(Number.isFinite(epoch.trainLoss)).toBe(true);
        expect(epoch.validationAccuracy).toBeGreaterThanOrEqual(0);
        expect(epoch.validationAccuracy).toBeLessThanOrEqual(1);
      }
    }

    const markdown = await readFile(files.markdown, 'utf8');
    for (const method of result.methods) expect(markdown).toContain(`| ${method.label} |`);
    const svg = await readFile(files.chart, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    // Two panels (all epochs, zoom), one curve per method in each, plus the teacher's line.
    expect(svg.match(/<polyline /g)).toHaveLength(2 * methodIds.length + 1);
  }, 300_000);
});

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kdGrid, QUICK_SWEEP_CONFIG } from '../src/config.js';
import { silentProgress } from '../src/progress.js';
import { runSweepExample } from '../src/run.js';
import { best, type SweepResult } from '../src/sweep.js';

const pct = (value: number) => `${(value * 100).toFixed(2)}%`;
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** The cells of the Markdown table row that starts with `| first |`. */
function rowsStartingWith(markdown: string, first: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith(`| ${first} |`))
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
}

describe('search helpers', () => {
  it('crosses temperatures and weights, temperatures outermost', () => {
    expect(kdGrid([2, 4], [0.5, 1])).toEqual([
      { temperature: 2, weight: 0.5 },
      { temperature: 2, weight: 1 },
      { temperature: 4, weight: 0.5 },
      { temperature: 4, weight: 1 },
    ]);
  });

  it('picks the highest validation accuracy, the first one tried on a tie', () => {
    const trials = [
      { setting: 'a', validationAccuracy: 0.8 },
      { setting: 'b', validationAccuracy: 0.9 },
      { setting: 'c', validationAccuracy: 0.9 },
    ];
    expect(best(trials)).toBe('b');
    expect(best([{ setting: 'only', validationAccuracy: 0 }])).toBe('only');
  });
});

// The sweep end to end at a toy size, on real MNIST and the wasm backend, so `--sweep` cannot break silently.
describe('pnpm example --sweep --quick', () => {
  let outDir = '';
  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('fills every teacher/objective cell and writes a table and chart that agree with the JSON', async () => {
    outDir = await mkdtemp(join(tmpdir(), 'mnist-sweep-'));
    const config = QUICK_SWEEP_CONFIG;
    const { files } = await runSweepExample(config, outDir, silentProgress, 'test');
    const result = JSON.parse(await readFile(files.json, 'utf8')) as SweepResult;
    const seeds = config.studentSeeds;

    expect(result.ce.map((run) => [run.method, run.seed])).toEqual(seeds.map((seed) => ['ce', seed]));
    expect(result.cells).toHaveLength(config.teachers.length);
    result.cells.forEach((cell, i) => {
      expect(cell.teacher.architecture).toBe(`784-${config.teachers[i].hidden.join('-')}-10`);
      expect(cell.runs.map((run) => `${run.method} ${run.seed}`).sort()).toEqual(
        seeds.flatMap((seed) => [`dist ${seed}`, `kd ${seed}`]).sort(),
      );
      for (const run of [...cell.runs, ...result.ce]) {
        expect(run.history).toHaveLength(config.student.epochs);
        expect(run.testAccuracy).toBeGreaterThan(0);
        expect(run.testAccuracy).toBeLessThanOrEqual(1);
      }
      // Every grid setting tried once, and the chosen one is a best of its search.
      expect(cell.search.kd.map((trial) => trial.setting)).toEqual(config.search.kd);
      expect(cell.search.dist.map((trial) => trial.setting)).toEqual(config.search.dist);
      for (const objective of ['kd', 'dist'] as const) {
        const top = Math.max(...cell.search[objective].map((trial) => trial.validationAccuracy));
        const chosen = cell.search[objective].find((trial) => JSON.stringify(trial.setting) === JSON.stringify(cell.chosen[objective]));
        expect(chosen?.validationAccuracy).toBe(top);
      }
    });

    const markdown = await readFile(files.markdown, 'utf8');
    const ceAccuracy = (seed: number) => result.ce.find((run) => run.seed === seed)!.testAccuracy;
    for (const cell of result.cells) {
      const name = `${cell.teacher.architecture}, ${cell.teacher.epochs} epoch${cell.teacher.epochs === 1 ? '' : 's'}`;
      const accuracies = (method: string) => seeds.map((seed) => cell.runs.find((run) => run.method === method && run.seed === seed)!.testAccuracy);
      const wins = (method: string) => `${accuracies(method).filter((value, i) => value > ceAccuracy(seeds[i])).length}/${seeds.length}`;

      const [summary] = rowsStartingWith(markdown, name).filter((cells) => cells.length === 13);
      expect(summary[1]).toBe(pct(cell.teacher.testAccuracy));
      expect(summary[2].startsWith(pct(mean(seeds.map(ceAccuracy))))).toBe(true);
      expect(summary[3].startsWith(pct(mean(accuracies('kd'))))).toBe(true);
      expect(summary[4]).toBe(`T = ${cell.chosen.kd.temperature}, weight ${cell.chosen.kd.weight}`);
      expect(summary[6]).toBe(wins('kd'));
      expect(summary[7].startsWith(pct(mean(accuracies('dist'))))).toBe(true);
      expect(summary[8]).toBe(`weight ${cell.chosen.dist.weight}`);
      expect(summary[10]).toBe(wins('dist'));
      const distOverKd = accuracies('dist').map((value, i) => value - accuracies('kd')[i]);
      expect(summary[11]).toBe(`${mean(distOverKd) >= 0 ? '+' : ''}${(mean(distOverKd) * 100).toFixed(2)}`);
      expect(summary[12]).toBe(`${distOverKd.filter((difference) => difference > 0).length}/${seeds.length}`);

      const perSeed = rowsStartingWith(markdown, name).filter((cells) => cells.length === 5);
      expect(perSeed.map((cells) => cells.slice(1))).toEqual(
        seeds.map((seed, i) => [String(seed), pct(ceAccuracy(seed)), pct(accuracies('kd')[i]), pct(accuracies('dist')[i])]),
      );
    }
    config.search.dist.forEach((setting, i) => {
      const [row] = rowsStartingWith(markdown, `DIST, weight ${setting.weight}`);
      result.cells.forEach((cell, c) => expect(row[1 + c].replace(/\*/g, '')).toBe(pct(cell.search.dist[i].validationAccuracy)));
    });

    const svg = await readFile(files.chart, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).not.toContain('NaN');
    // Two panels (accuracy, gain over CE), a line per objective in each; bands for all but CE's zero gain.
    expect(svg.match(/<polyline /g)).toHaveLength(6);
    expect(svg.match(/<polygon /g)).toHaveLength(5);
    // One point per teacher on every line.
    for (const line of svg.match(/<polyline points="[^"]*"/g)!) expect(line.split(' ').length - 1).toBe(config.teachers.length);
  }, 300_000);
});

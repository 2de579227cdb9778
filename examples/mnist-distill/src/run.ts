import { useTfjsPlatform } from '@dist-kd/backend-tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExperimentConfig, SweepConfig } from './config.js';
import { renderDataParallelMarkdown, runDataParallel, type DataParallelConfig, type DataParallelResult } from './data-parallel.js';
import { runExperiment, type ExperimentResult } from './experiment.js';
import { loadMnist, type Mnist } from './mnist.js';
import type { ProgressReporter } from './progress.js';
import { renderCurves, renderMarkdown } from './report.js';
import { renderSweepChart, renderSweepMarkdown } from './sweep-report.js';
import { runSweep, type SweepResult } from './sweep.js';

export interface ExampleOutput<Result> {
  readonly result: Result;
  readonly markdown: string;
  readonly files: { readonly markdown: string; readonly chart: string; readonly json: string };
}

/**
 * Loads MNIST, runs the experiment on tfjs's wasm backend and writes results.md, curves.svg and
 * results.json.
 */
export function runExample(
  config: ExperimentConfig,
  outDir: string,
  progress: ProgressReporter,
  command: string,
): Promise<ExampleOutput<ExperimentResult>> {
  return runAndWrite(outDir, 'results', 'curves', async (mnist, device) => {
    const result = await runExperiment(config, mnist, progress);
    return { result, markdown: renderMarkdown(result, command, device), chart: renderCurves(result) };
  });
}

/** The same for the teacher sweep (`--sweep`): sweep.md, sweep.svg and sweep.json. */
export function runSweepExample(
  config: SweepConfig,
  outDir: string,
  progress: ProgressReporter,
  command: string,
): Promise<ExampleOutput<SweepResult>> {
  return runAndWrite(outDir, 'sweep', 'sweep', async (mnist, device) => {
    const result = await runSweep(config, mnist, progress);
    return { result, markdown: renderSweepMarkdown(result, command, device), chart: renderSweepChart(result) };
  });
}

/** The data-parallel comparison (`--data-parallel`): data-parallel.md and data-parallel.json. */
export async function runDataParallelExample(
  config: DataParallelConfig,
  outDir: string,
  progress: ProgressReporter,
  command: string,
): Promise<{ result: DataParallelResult; markdown: string; files: { markdown: string; json: string } }> {
  const platform = await useTfjsPlatform('wasm');
  const result = await runDataParallel(config, await loadMnist(), progress);
  const markdown = renderDataParallelMarkdown(result, command, platform.device);
  const files = { markdown: join(outDir, 'data-parallel.md'), json: join(outDir, 'data-parallel.json') };
  await mkdir(outDir, { recursive: true });
  await writeFile(files.markdown, markdown);
  await writeFile(files.json, JSON.stringify(result, null, 2) + '\n');
  return { result, markdown, files };
}

/**
 * The numbers are for tfjs's wasm backend, so this never falls back to another one: if wasm cannot
 * start, it rejects with the reason.
 */
async function runAndWrite<Result>(
  outDir: string,
  baseName: string,
  chartName: string,
  experiment: (mnist: Mnist, device: string) => Promise<{ result: Result; markdown: string; chart: string }>,
): Promise<ExampleOutput<Result>> {
  const platform = await useTfjsPlatform('wasm');
  const { result, markdown, chart } = await experiment(await loadMnist(), platform.device);
  const files = {
    markdown: join(outDir, `${baseName}.md`),
    chart: join(outDir, `${chartName}.svg`),
    json: join(outDir, `${baseName}.json`),
  };
  await mkdir(outDir, { recursive: true });
  await writeFile(files.markdown, markdown);
  await writeFile(files.chart, chart);
  await writeFile(files.json, JSON.stringify(result, null, 2) + '\n');
  return { result, markdown, files };
}

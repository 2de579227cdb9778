import { useTfjsPlatform } from '@dist-kd/backend-tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExperimentConfig } from './config.js';
import { runExperiment, type ExperimentResult } from './experiment.js';
import { loadMnist } from './mnist.js';
import type { ProgressReporter } from './progress.js';
import { renderCurves, renderMarkdown } from './report.js';

export interface ExampleOutput {
  readonly result: ExperimentResult;
  readonly markdown: string;
  readonly files: { readonly markdown: string; readonly chart: string; readonly json: string };
}

/**
 * Loads MNIST, runs the experiment on tfjs's wasm backend and writes results.md, curves.svg and
 * results.json. The numbers are for that backend, so it never falls back to another one: if wasm
 * cannot start, this rejects with the reason.
 */
export async function runExample(
  config: ExperimentConfig,
  outDir: string,
  progress: ProgressReporter,
  command: string,
): Promise<ExampleOutput> {
  const platform = await useTfjsPlatform('wasm');
  const result = await runExperiment(config, await loadMnist(), progress);
  const markdown = renderMarkdown(result, command, platform.device);
  const files = {
    markdown: join(outDir, 'results.md'),
    chart: join(outDir, 'curves.svg'),
    json: join(outDir, 'results.json'),
  };
  await mkdir(outDir, { recursive: true });
  await writeFile(files.markdown, markdown);
  await writeFile(files.chart, renderCurves(result));
  await writeFile(files.json, JSON.stringify(result, null, 2) + '\n');
  return { result, markdown, files };
}

#!/usr/bin/env node
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FULL_CONFIG, QUICK_CONFIG } from './config.js';
import { runExperiment } from './experiment.js';
import { loadMnist } from './mnist.js';
import { terminalProgress } from './progress.js';
import { renderCurves, renderMarkdown } from './report.js';
import { useWasmBackend } from './runtime.js';

const USAGE = `Usage: pnpm example [--quick] [--out DIR]
  --quick     a small run (about a minute) that exercises the whole pipeline
  --out DIR   where results.md, curves.svg and results.json go
              (default: examples/mnist-distill/results, or results-quick with --quick)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const config = values.quick ? QUICK_CONFIG : FULL_CONFIG;
  const packageRoot = new URL('..', import.meta.url).pathname;
  const outDir = resolve(values.out ?? join(packageRoot, values.quick ? 'results-quick' : 'results'));
  const command = values.quick ? 'pnpm example --quick' : 'pnpm example';

  const backend = await useWasmBackend();
  console.error(`tfjs backend: ${backend}; ${config.name} run; results go to ${outDir}`);
  const result = await runExperiment(config, await loadMnist(), terminalProgress());
  await mkdir(outDir, { recursive: true });
  const markdown = renderMarkdown(result, command);
  await writeFile(join(outDir, 'results.md'), markdown);
  await writeFile(join(outDir, 'curves.svg'), renderCurves(result));
  await writeFile(join(outDir, 'results.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(markdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});

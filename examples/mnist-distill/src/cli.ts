#!/usr/bin/env node
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FULL_CONFIG, QUICK_CONFIG } from './config.js';
import { terminalProgress } from './progress.js';
import { runExample } from './run.js';

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
  const packageRoot = fileURLToPath(new URL('..', import.meta.url));
  const outDir = resolve(values.out ?? join(packageRoot, values.quick ? 'results-quick' : 'results'));
  console.error(`${config.name} run on the tfjs wasm backend; results go to ${outDir}`);
  const { markdown } = await runExample(config, outDir, terminalProgress(), values.quick ? 'pnpm example --quick' : 'pnpm example');
  console.log(markdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});

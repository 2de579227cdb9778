#!/usr/bin/env node
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FULL_CONFIG, FULL_SWEEP_CONFIG, QUICK_CONFIG, QUICK_SWEEP_CONFIG } from './config.js';
import { terminalProgress } from './progress.js';
import { DATA_PARALLEL_CONFIG, QUICK_DATA_PARALLEL_CONFIG } from './data-parallel.js';
import { runDataParallelExample, runExample, runSweepExample } from './run.js';

const USAGE = `Usage: pnpm example [--sweep | --data-parallel [--workers N]] [--quick] [--out DIR]
  --sweep     distil the student from four teachers of increasing strength, with KD's and DIST's
              settings searched per teacher on the validation split (the example's README gives
              its time); writes sweep.md, sweep.svg and sweep.json
  --data-parallel
              train the DIST student data-parallel on N worker threads that exchange DIST's
              statistics over MessagePorts, and compare its losses, gradient and weights with the
              same training in one process, and with the per-worker (official) DIST; writes
              data-parallel.md and data-parallel.json (about a minute)
  --workers N with --data-parallel, the number of worker threads (default 2)
  --quick     a small run (about a minute) that exercises the whole pipeline; with --sweep, a
              toy-sized sweep (seconds)
  --out DIR   where the outputs go (default: examples/mnist-distill/results, or results-quick
              with --quick); without --sweep results.md, curves.svg and results.json`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sweep: { type: 'boolean', default: false },
      'data-parallel': { type: 'boolean', default: false },
      workers: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const packageRoot = fileURLToPath(new URL('..', import.meta.url));
  const outDir = resolve(values.out ?? join(packageRoot, values.quick ? 'results-quick' : 'results'));
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= 64)) {
    throw new RangeError(`--workers takes a whole number from 1 to 64, got ${values.workers}`);
  }
  const command = [
    'pnpm example',
    ...(values.sweep ? ['--sweep'] : []),
    ...(values['data-parallel'] ? ['--data-parallel'] : []),
    ...(workers !== undefined ? [`--workers ${workers}`] : []),
    ...(values.quick ? ['--quick'] : []),
  ].join(' ');
  const progress = terminalProgress();
  if (values['data-parallel']) {
    const base = values.quick ? QUICK_DATA_PARALLEL_CONFIG : DATA_PARALLEL_CONFIG;
    const config = { ...base, workers: workers ?? base.workers };
    console.error(`${config.name} run on ${config.workers} worker threads, tfjs wasm backend; results go to ${outDir}`);
    console.log((await runDataParallelExample(config, outDir, progress, command)).markdown);
  } else if (values.sweep) {
    const config = values.quick ? QUICK_SWEEP_CONFIG : FULL_SWEEP_CONFIG;
    console.error(`${config.name} on the tfjs wasm backend; results go to ${outDir}`);
    console.log((await runSweepExample(config, outDir, progress, command)).markdown);
  } else {
    const config = values.quick ? QUICK_CONFIG : FULL_CONFIG;
    console.error(`${config.name} run on the tfjs wasm backend; results go to ${outDir}`);
    console.log((await runExample(config, outDir, progress, command)).markdown);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});

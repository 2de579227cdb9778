import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { QUICK_DATA_PARALLEL_CONFIG, splitRows, type DataParallelResult } from '../src/data-parallel.js';

const run = promisify(execFile);
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

describe('splitRows', () => {
  it('splits a batch into contiguous parts as even as can be', () => {
    expect(splitRows(256, 2)).toEqual([128, 128]);
    expect(splitRows(256, 3)).toEqual([85, 85, 86]);
    expect(splitRows(3, 4)).toEqual([0, 1, 1, 1]);
  });
});

// The workers run compiled JavaScript (a worker thread cannot load this TypeScript), so the test
// builds the package and runs the command users run, at its quick size, on three workers.
describe('pnpm example --data-parallel --quick', () => {
  let outDir = '';
  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('trains on worker threads with the single-process losses, gradient and weights; the local DIST differs', async () => {
    outDir = await mkdtemp(join(tmpdir(), 'mnist-data-parallel-'));
    await run(process.execPath, [join(packageRoot, 'node_modules/typescript/bin/tsc'), '-p', join(packageRoot, 'tsconfig.build.json')]);
    await run(process.execPath, [join(packageRoot, 'dist/cli.js'), '--data-parallel', '--quick', '--workers', '3', '--out', outDir]);
    const result = JSON.parse(await readFile(join(outDir, 'data-parallel.json'), 'utf8')) as DataParallelResult;
    expect(result.shardRows).toEqual(splitRows(QUICK_DATA_PARALLEL_CONFIG.student.batchSize, 3));
    const [exact, local] = result.modes;
    expect(exact.mode).toBe('exact');
    expect(exact.losses).toHaveLength(QUICK_DATA_PARALLEL_CONFIG.steps);
    // float32 rounding only: the exact mode is the whole batch's training.
    expect(exact.lossRelative).toBeLessThan(1e-6);
    expect(exact.firstGradientRelative).toBeLessThan(1e-5);
    expect(exact.weightsRelative).toBeLessThan(1e-3);
    expect(exact.workersAgree).toBe(true);
    // The per-worker DIST is another loss: its first loss and gradient (same weights) differ by far more.
    expect(local.mode).toBe('local');
    expect(local.firstLossRelative).toBeGreaterThan(100 * exact.firstLossRelative);
    expect(local.firstGradientRelative).toBeGreaterThan(1e-3);
    expect(local.workersAgree).toBe(true);
    const markdown = await readFile(join(outDir, 'data-parallel.md'), 'utf8');
    expect(markdown).toContain('| exact: merged statistics (backend-tfjs shards) |');
  }, 180_000);
});

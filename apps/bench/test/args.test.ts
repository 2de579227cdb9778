import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKENDS, DEFAULT_OUT, fullBackends, parseArgs } from '../src/args.js';
import { BASELINE_OF } from '../src/baselines.js';
import { pageParameters } from '../src/browser-run.js';
import { parseSize } from '../src/sizes.js';

function usageError(argv: string[]): Error & { code?: string } {
  try {
    parseArgs(argv);
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error(`parseArgs(${JSON.stringify(argv)}) accepted bad arguments`);
}

describe('parseArgs', () => {
  it('runs each backend next to its baseline by default', () => {
    const command = parseArgs([]);
    expect(command).toMatchObject({ kind: 'run', quick: false, full: false, browser: false, out: DEFAULT_OUT });
    expect(command.kind === 'run' && command.sizes).toBe(undefined);
    expect(command.kind === 'run' && command.backends).toBe(undefined);
    for (const backend of ['cpu', 'tfjs-wasm', 'webgpu']) {
      expect(DEFAULT_BACKENDS).toContain(backend);
      expect(DEFAULT_BACKENDS).toContain(BASELINE_OF[backend]);
    }
    expect(DEFAULT_BACKENDS).not.toContain('tfjs');
  });

  it('runs every variant of every backend package, the naive tfjs and PyTorch baselines and the native ceiling with --full', async () => {
    expect(parseArgs(['--full'])).toMatchObject({ kind: 'run', full: true });
    // Names come from the packages' VARIANTS exports, through core's listBackends (the tfjs alias,
    // auto, is left out), and from the bench's own naive-tfjs.ts for its baselines.
    const importModule = async (id: string) => ({ VARIANTS: id === '@dist-kd/backend-tfjs' ? ['wasm', 'ops-wasm'] : [] });
    expect(await fullBackends({ importModule })).toEqual([
      'cpu',
      'webgpu',
      'tfjs-wasm',
      'tfjs-ops-wasm',
      'tfjs-naive-wasm',
      'tfjs-naive-cpu',
      'tfjs-naive-webgpu',
      'tfjs-naive-webgl',
      'pytorch',
      'native-ceiling',
    ]);
    // And in this workspace, the installed packages; each name once (backend-tfjs no longer has naive variants).
    const installed = await fullBackends();
    expect(installed).toEqual(expect.arrayContaining(['cpu', 'webgpu', 'tfjs-wasm', 'tfjs-ops-wasm', 'tfjs-naive-wasm', 'tfjs-naive-webgl', 'cpu-float64', 'pytorch']));
    expect(new Set(installed).size).toBe(installed.length);
    // Importing the real packages loads tfjs, which takes seconds on a busy machine.
  }, 60_000);

  it('reads --browser, with --resident too, and hands both to the page', () => {
    expect(parseArgs(['--browser', '--sizes', '64x100'])).toMatchObject({ kind: 'run', browser: true, resident: false, sizes: [{ batch: 64, classes: 100 }] });
    expect(parseArgs(['--browser', '--resident'])).toMatchObject({ kind: 'run', browser: true, resident: true });
    expect(pageParameters({ full: false, resident: true }).get('resident')).toBe('1');
    expect(pageParameters({ full: false, resident: false }).has('resident')).toBe(false);
  });

  it('reads backends, sizes (sorted by B*C, duplicates dropped), quick, json and numbers', () => {
    const command = parseArgs(['--backends', 'cpu, webgpu,cpu', '--sizes', '128x32000,64x100,64x100', '--quick', '--json', 'r.json', '--time', '50', '--min-samples', '3', '--seed', '7', '--name', 'laptop-1']);
    expect(command).toMatchObject({
      kind: 'run',
      backends: ['cpu', 'webgpu'],
      sizes: [{ batch: 64, classes: 100 }, { batch: 128, classes: 32000 }],
      quick: true,
      json: 'r.json',
      timeMs: 50,
      minSamples: 3,
      seed: 7,
      name: 'laptop-1',
    });
  });

  it('reads compare with its files and the output folder', () => {
    expect(parseArgs(['compare', 'a.json', 'b.json', '--out', 'x'])).toEqual({ kind: 'compare', files: ['a.json', 'b.json'], out: 'x' });
  });

  it('answers --help', () => {
    expect(parseArgs(['-h'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--sizes', '1024by1000'], /size "1024by1000" is not BxC/],
    [['--sizes', '0x10'], /positive integers/],
    [['--sizes', ','], /names no size/],
    [['--backends', ' , '], /names nothing/],
    [['--frobnicate'], /Unknown option/],
    [['--time', 'soon'], /--time must be a number/],
    [['--min-samples', '2.5'], /--min-samples must be an integer/],
    [['compare', 'only-one.json'], /at least two report files, got 1/],
    [['bogus'], /unknown command "bogus"/],
    [['--name', '../up'], /plain file name stem/],
  ])('refuses %j with a usage error', (argv, message) => {
    const error = usageError(argv);
    expect(error.code).toBe('BENCH_USAGE');
    expect(error.message).toMatch(message);
  });
});

describe('parseSize', () => {
  it('reads B x C in the usual spellings', () => {
    expect(parseSize('8x128000')).toEqual({ batch: 8, classes: 128000 });
    expect(parseSize(' 32 X 100 ')).toEqual({ batch: 32, classes: 100 });
  });
});

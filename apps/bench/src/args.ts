/** Command-line arguments of `pnpm bench`. */
import { parseArgs as parseNodeArgs } from 'node:util';
import { listBackends, type LoadOptions } from '@dist-kd/core';
import { HEADLINE_BACKENDS, HEADLINE_SIZES } from './baselines.js';
import { BenchUsageError } from './errors.js';
import { NAIVE_TFJS_BASELINES } from './naive-tfjs.js';
import { FULL_SIZES, parseSizes, sizeLabel, type Size } from './sizes.js';

export interface RunCommand {
  readonly kind: 'run';
  /** What --backends named; undefined: the mode's default (DEFAULT_BACKENDS, or fullBackends() with --full). */
  readonly backends?: readonly string[];
  /** Run the bench page in headless Chromium instead of timing in this Node process. */
  readonly browser: boolean;
  /** Undefined: the default grid (full or quick). */
  readonly sizes?: readonly Size[];
  readonly quick: boolean;
  /** Every backend over the whole size grid, both ops, instead of the headline comparisons. */
  readonly full: boolean;
  /** Time bound logits (`DistBackend.bind`) instead of host arrays in and gradient out. */
  readonly resident: boolean;
  /** Also write the JSON report here. */
  readonly json?: string;
  readonly out: string;
  /** File name stem of the reports; default bench-<time>-node. */
  readonly name?: string;
  readonly timeMs?: number;
  readonly minSamples?: number;
  readonly maxCallMs?: number;
  readonly seed?: number;
  readonly python?: string;
}

export interface CompareCommand {
  readonly kind: 'compare';
  readonly files: readonly string[];
  readonly out: string;
}

export type Command = RunCommand | CompareCommand | { readonly kind: 'help' };

/** A default run: every backend next to its baseline. Those that cannot run here are reported unavailable, with the reason. */
export const DEFAULT_BACKENDS: readonly string[] = HEADLINE_BACKENDS;

/**
 * `--full`: every backend name the installed backend packages offer (core's `listBackends`), except
 * the `tfjs` alias (`auto`: it is one of the others), plus the baselines (the bench's naive tfjs
 * ports and PyTorch) and the native ceiling.
 */
export async function fullBackends(options?: LoadOptions): Promise<string[]> {
  return [...(await listBackends(options)).filter((name) => name !== 'tfjs'), ...NAIVE_TFJS_BASELINES, 'pytorch', 'native-ceiling'];
}

export const DEFAULT_OUT = 'reports';

export const USAGE = `Usage:
  pnpm bench [options]                     time every backend against its baseline at the headline sizes, say
                                           how much faster each is, write JSON, CSV, Markdown and SVG reports
  pnpm bench compare A.json B.json [...]   merge reports from several machines into one Markdown + SVG comparison

Options:
  --backends a,b,...   backends to time (default: each backend and its baseline: ${DEFAULT_BACKENDS.join(', ')};
                       --full: every variant of every installed backend package, the naive tfjs
                       baselines, pytorch and native-ceiling);
                       also "reference" or a module path that exports createBackend
  --sizes BxC,...      sizes, e.g. 256x1000,128x32000 (default: ${HEADLINE_SIZES.map(sizeLabel).join(', ')};
                       --full: ${FULL_SIZES.map(sizeLabel).join(', ')})
  --full               the whole grid: every backend, every size, forward and forward+backward
                       (the default run times forward+backward only, what training calls)
  --browser            run the bench page in headless Chromium (/usr/bin/chromium, or CHROMIUM_PATH):
                       the browser's backends (webgpu, tfjs-webgpu, tfjs-webgl, tfjs-wasm, ...) next to
                       their baselines; same reports (with --resident too)
  --quick              shorter timing (100 ms and 5 samples per case, 500 ms call limit)
  --resident           keep the logits where each backend computes (DistBackend.bind) and leave the
                       gradient there: the loss as a training loop sees it, without host transfers;
                       backends without bind are reported unavailable in this mode
  --json FILE          also write the JSON report to FILE
  --out DIR            folder for the reports (default: ${DEFAULT_OUT}/)
  --name NAME          this machine's label: the reports' file name stem and how compare names it
                       (default: bench-<UTC time>-node)
  --time MS            time budget per backend, size and op (default 1000, quick 100)
  --min-samples N      at least N samples each (default 10, quick 5)
  --max-call-ms MS     when one call takes longer, skip that size and larger ones (default 5000, quick 500)
  --seed N             seed of the random logits
  --python PATH        the python that runs the PyTorch baseline (default: python3, then /usr/bin/python3)
  -h, --help           this text`;

export function parseArgs(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseNodeArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        backends: { type: 'string' },
        sizes: { type: 'string' },
        quick: { type: 'boolean', default: false },
        full: { type: 'boolean', default: false },
        browser: { type: 'boolean', default: false },
        resident: { type: 'boolean', default: false },
        json: { type: 'string' },
        out: { type: 'string', default: DEFAULT_OUT },
        name: { type: 'string' },
        time: { type: 'string' },
        'min-samples': { type: 'string' },
        'max-call-ms': { type: 'string' },
        seed: { type: 'string' },
        python: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new BenchUsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  const [command, ...rest] = positionals;
  if (command === 'compare') {
    if (rest.length < 2) throw new BenchUsageError(`compare needs at least two report files, got ${rest.length}\n\n${USAGE}`);
    return { kind: 'compare', files: rest, out: values.out! };
  }
  if (command !== undefined && command !== 'run') {
    throw new BenchUsageError(`unknown command "${command}"; the commands are run (the default) and compare\n\n${USAGE}`);
  }
  if (rest.length > 0) throw new BenchUsageError(`unexpected argument "${rest[0]}"\n\n${USAGE}`);
  if (values.browser && values.python !== undefined) throw new BenchUsageError('--python has no meaning with --browser: the page has no PyTorch baseline');
  return {
    kind: 'run',
    ...(values.backends !== undefined ? { backends: parseList('--backends', values.backends) } : {}),
    browser: values.browser!,
    ...(values.sizes !== undefined ? { sizes: parseSizes(values.sizes) } : {}),
    quick: values.quick!,
    full: values.full!,
    resident: values.resident!,
    out: values.out!,
    ...(values.json !== undefined ? { json: values.json } : {}),
    ...(values.name !== undefined ? { name: parseName(values.name) } : {}),
    ...optionalNumber('timeMs', '--time', values.time, 1),
    ...optionalNumber('minSamples', '--min-samples', values['min-samples'], 1, true),
    ...optionalNumber('maxCallMs', '--max-call-ms', values['max-call-ms'], 1),
    ...optionalNumber('seed', '--seed', values.seed, 0, true),
    ...(values.python !== undefined ? { python: values.python } : {}),
  };
}

function parseName(name: string): string {
  if (!/^[\w.-]+$/.test(name)) throw new BenchUsageError(`--name "${name}" must be a plain file name stem (letters, digits, . _ -)`);
  return name;
}

function parseList(flag: string, value: string): string[] {
  const items = [...new Set(value.split(',').map((s) => s.trim()).filter(Boolean))];
  if (items.length === 0) throw new BenchUsageError(`${flag} "${value}" names nothing; e.g. ${flag} cpu,tfjs-wasm`);
  return items;
}

function optionalNumber<K extends string>(
  key: K,
  flag: string,
  value: string | undefined,
  min: number,
  integer = false,
): Partial<Record<K, number>> {
  if (value === undefined) return {};
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < min || (integer && !Number.isInteger(number))) {
    throw new BenchUsageError(`${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got "${value}"`);
  }
  return { [key]: number } as Partial<Record<K, number>>;
}

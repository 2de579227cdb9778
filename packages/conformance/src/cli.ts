#!/usr/bin/env node
/**
 * dist-kd-conformance --backend <name | module path> [--golden FILE ...]
 * Prints one line per failed check, then "N passed, M failed"; exits 1 when a check failed and 2
 * when nothing could run (bad arguments, an unavailable backend, an unreadable golden file).
 */
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { parseArgs } from 'node:util';
import { BACKEND_PACKAGES, backendPackage } from '@dist-kd/core';
import { describeError } from './backend-calls.js';
import { createReporter, REPORTERS, type ReporterName, type TimedResult } from './reporters.js';
import { runConformance } from './run.js';

const USAGE = `Usage: dist-kd-conformance --backend <name | module path> [--golden FILE ...] [options]

Runs the DIST conformance suite on one backend: the bundled golden files (PyTorch float64), property
checks (invariances, bounds, finite differences, determinism, input types) and bad-input checks.

  --backend, -b NAME     reference, auto, ${Object.keys(BACKEND_PACKAGES).join(', ')} or one of their
                         variants (cpu, tfjs-wasm, tfjs-ops-cpu, webgpu, ...: the backend package
                         says which it has), or a package name / path to a module exporting createBackend()
  --golden, -g FILE      also check this dist-golden/1 file (repeatable); each case's tol and
                         eps_mode are honoured
  --no-bundled-golden    skip the golden files this package ships
  --reporter, -r NAME    text (default), or for CI: json, junit (JUnit XML) or tap (TAP 14),
                         written to stdout as one document once the suite has run
  --verbose, -v          print passing checks too (text)
  --help, -h             this text

Exit status: 0 all passed, 1 some check failed, 2 nothing ran (bad arguments, backend unavailable,
unreadable golden file).`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        backend: { type: 'string', short: 'b' },
        golden: { type: 'string', short: 'g', multiple: true },
        'no-bundled-golden': { type: 'boolean' },
        reporter: { type: 'string', short: 'r', default: 'text' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.backend) {
    console.error(`--backend is required\n\n${USAGE}`);
    return 2;
  }
  if (!REPORTERS.includes(values.reporter as ReporterName)) {
    console.error(`--reporter "${values.reporter}" is not one of ${REPORTERS.join(', ')}\n\n${USAGE}`);
    return 2;
  }
  const reporter = createReporter(values.reporter as ReporterName, values.verbose === true);
  const timed: TimedResult[] = [];
  let last = performance.now();
  const onResult = (result: Omit<TimedResult, 'ms'>) => {
    const now = performance.now();
    const entry = { ...result, ms: now - last };
    last = now;
    timed.push(entry);
    const line = reporter.onResult(entry);
    if (line !== undefined) console.log(line);
  };
  let report;
  try {
    report = await runConformance(backendSpec(values.backend), {
      golden: values.golden ?? [],
      bundledGolden: !values['no-bundled-golden'],
      onResult,
    });
  } catch (error) {
    const { code, name } = (error ?? {}) as { code?: string; name?: string };
    // Compared by code: the backend module may have loaded its own copy of core. These say in a
    // sentence what is wrong; anything else is unexpected and printed with its type.
    const explained = code === 'BACKEND_UNAVAILABLE' || code === 'GOLDEN_UNREADABLE' || name === 'GoldenFormatError';
    const prefix = explained ? 'cannot run the conformance suite' : 'conformance suite aborted';
    console.error(`${prefix}: ${explained ? (error as Error).message : describeError(error)}`);
    return 2;
  }
  console.log(reporter.end(report, timed));
  return report.failed > 0 ? 1 : 0;
}

/**
 * A name loadBackend knows stays a name; an existing file written without "./" becomes a path
 * (loadBackend would take "test/x.mjs" for a package specifier).
 */
function backendSpec(spec: string): string {
  if (spec === 'reference' || spec === 'auto' || backendPackage(spec) !== undefined) return spec;
  if (spec.startsWith('.') || isAbsolute(spec)) return spec;
  return statSync(spec, { throwIfNoEntry: false })?.isFile() ? `./${spec}` : spec;
}

// Exit explicitly: a backend may leave handles open (a GPU device, a worker) after dispose.
main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);

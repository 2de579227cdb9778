#!/usr/bin/env node
/**
 * dist-kd-conformance --backend <name | module path> [--golden FILE ...]
 * Prints one line per failed check, then "N passed, M failed"; exits 1 when a check failed and 2
 * when nothing could run (bad arguments, an unavailable backend, an unreadable golden file).
 */
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { parseArgs } from 'node:util';
import { KNOWN_BACKENDS } from '@dist-kd/core';
import { describeError } from './backend-calls.js';
import { runConformance, type CheckResult } from './run.js';

const USAGE = `Usage: dist-kd-conformance --backend <name | module path> [--golden FILE ...] [options]

Runs the DIST conformance suite on one backend: the bundled golden files (PyTorch float64), property
checks (invariances, bounds, finite differences, determinism, input types) and bad-input checks.

  --backend, -b NAME     reference, ${Object.keys(KNOWN_BACKENDS).join(', ')},
                         or a package name / path to a module exporting createBackend()
  --golden, -g FILE      also check this dist-golden/1 file (repeatable); each case's tol and
                         eps_mode are honoured
  --no-bundled-golden    skip the golden files this package ships
  --verbose, -v          print passing checks too
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
  const verbose = values.verbose === true;
  const onResult = (result: CheckResult) => {
    if (!result.ok) console.log(`FAIL ${result.name}: ${result.message}`);
    else if (verbose) console.log(`ok   ${result.name}`);
  };
  let report;
  try {
    report = await runConformance(backendSpec(values.backend), {
      golden: values.golden ?? [],
      bundledGolden: !values['no-bundled-golden'],
      onResult,
    });
  } catch (error) {
    const code = (error as { code?: string } | null)?.code;
    // Compared by code: the backend module may have loaded its own copy of core.
    const prefix = code === 'BACKEND_UNAVAILABLE' ? 'cannot run the conformance suite' : 'conformance suite aborted';
    console.error(`${prefix}: ${code === 'BACKEND_UNAVAILABLE' ? (error as Error).message : describeError(error)}`);
    return 2;
  }
  // Before the totals, which stay the last line for scripts that read it.
  const offered = Object.entries(report.features).filter(([, on]) => on).map(([feature]) => feature);
  // A manifest feature the backend does not offer is checked too: it must be refused with UNSUPPORTED_FEATURE.
  const refused = Object.entries(report.features).filter(([feature, on]) => !on && feature !== 'bind').map(([feature]) => feature);
  console.log(`optional features checked: ${offered.join(', ') || 'none'}${refused.length ? `; not offered (refusal checked): ${refused.join(', ')}` : ''}`);
  console.log(`${report.passed} passed, ${report.failed} failed`);
  return report.failed > 0 ? 1 : 0;
}

/**
 * A name loadBackend knows stays a name; an existing file written without "./" becomes a path
 * (loadBackend would take "test/x.mjs" for a package specifier).
 */
function backendSpec(spec: string): string {
  if (spec === 'reference' || spec === 'auto' || spec in KNOWN_BACKENDS) return spec;
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

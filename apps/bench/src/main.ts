/** `pnpm bench` and `pnpm bench compare`: what the CLI does, callable from tests. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_BACKENDS, fullBackends, parseArgs, USAGE, type CompareCommand, type RunCommand } from './args.js';
import { runInBrowser } from './browser-run.js';
import { buildReport } from './build-report.js';
import { compareReports } from './compare.js';
import { stamp } from './format.js';
import { BenchUsageError, isUsageError } from './errors.js';
import { nodeMachine, nodeMemory, nodeVersions } from './node-machine.js';
import { backendLines, progressHooks, resultsTable, type Output } from './progress.js';
import { busyMachine, parseReport, type BenchReport } from './report.js';
import { runBench } from './runner.js';
import { defaultSettings } from './settings.js';
import { HEADLINE_SIZES } from './baselines.js';
import { FULL_SIZES } from './sizes.js';
import { disposeAll, loadSubject, type BenchSubject } from './subject.js';
import { createNativeSubject, NATIVE_CEILING } from './native-subject.js';
import { createTorchSubject, pythonCandidates } from './torch-subject.js';
import { verdictLine, verdicts } from './verdicts.js';
import { comparisonChartName, writeComparison, writeRunReports } from './write-reports.js';

export interface Io {
  readonly stdout: Output;
  readonly stderr: Output;
}

/** Returns the exit code: 0 done, 1 failed, 2 bad usage. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const command = parseArgs(argv);
    if (command.kind === 'help') io.stdout.write(USAGE + '\n');
    else if (command.kind === 'compare') await compare(command, io);
    else await run(command, io);
    return 0;
  } catch (error) {
    io.stderr.write(`${isUsageError(error) ? '' : 'bench failed: '}${(error as Error)?.message ?? error}\n`);
    return isUsageError(error) ? 2 : 1;
  }
}

export async function run(command: RunCommand, io: Io): Promise<BenchReport> {
  if (command.browser) return runBrowser(command, io);
  const defaults = defaultSettings(command.quick, command.resident, command.full);
  const settings = {
    ...defaults,
    time_ms: command.timeMs ?? defaults.time_ms,
    min_samples: command.minSamples ?? defaults.min_samples,
    max_call_ms: command.maxCallMs ?? defaults.max_call_ms,
    seed: command.seed ?? defaults.seed,
  };
  const sizes = command.sizes ?? (command.full ? FULL_SIZES : HEADLINE_SIZES);
  // First, so the load average is the machine's other work, not the bench's own.
  const machine = nodeMachine();
  if (busyMachine(machine)) {
    io.stderr.write(`Warning: load average ${machine.load_average!.join(', ')} on ${machine.cores} cores; other work will inflate the times (the reports say so too).\n`);
  }
  const names = command.backends ?? (command.full ? await fullBackends() : DEFAULT_BACKENDS);
  io.stderr.write(`Loading ${names.length} backends...\n`);
  const subjects: BenchSubject[] = [];
  for (const name of names) {
    subjects.push(
      name === 'pytorch'
        ? await createTorchSubject(settings.options, pythonCandidates(command.python))
        : name === NATIVE_CEILING
          ? await createNativeSubject(settings.options)
          : await loadSubject(name, settings.options, undefined, settings.resident),
    );
  }
  try {
    const output = await runBench(subjects, sizes, settings, { ...progressHooks(io.stderr), sampleMemory: nodeMemory });
    const report = buildReport({
      environment: 'node',
      machine,
      versions: nodeVersions(),
      settings,
      run: output,
      ...(command.name ? { label: command.name } : {}),
    });
    await finish(report, command, io);
    return report;
  } finally {
    for (const problem of await disposeAll(subjects)) io.stderr.write(`Warning: ${problem}\n`);
  }
}

/** The bench page in headless Chromium, with the same reports and verdicts as a Node run. */
async function runBrowser(command: RunCommand, io: Io): Promise<BenchReport> {
  io.stderr.write('Running the bench page in headless Chromium...\n');
  const page = await runInBrowser(
    {
      ...(command.backends ? { backends: command.backends } : {}),
      ...(command.sizes ? { sizes: command.sizes } : {}),
      full: command.full,
      resident: command.resident,
      ...(command.timeMs !== undefined ? { timeMs: command.timeMs } : {}),
      ...(command.minSamples !== undefined ? { minSamples: command.minSamples } : {}),
      ...(command.maxCallMs !== undefined ? { maxCallMs: command.maxCallMs } : {}),
    },
    io.stderr,
  );
  const report = command.name ? { ...page, label: command.name } : page;
  await finish(report, command, io);
  return report;
}

/** The closing table, the verdicts, what could not run, and the reports written. */
async function finish(report: BenchReport, command: RunCommand, io: Io): Promise<void> {
  io.stdout.write(`\n${resultsTable(report.results)}\n`);
  const answers = verdicts(report);
  if (answers.length) io.stdout.write(`\n${answers.map(verdictLine).join('\n')}\n`);
  const unavailable = report.backends.filter((b) => !b.available);
  if (unavailable.length) io.stdout.write(`\nNot measured, unavailable here:\n${backendLines(unavailable)}\n`);
  io.stdout.write('\n');
  const written = await writeRunReports(report, command.out, command.name);
  if (command.json) {
    await writeFile(command.json, JSON.stringify(report, null, 2) + '\n');
    written.push(command.json);
  }
  io.stdout.write(`Reports written:\n${written.map((file) => `  ${file}`).join('\n')}\n`);
}

async function compare(command: CompareCommand, io: Io): Promise<void> {
  const reports = [];
  for (const file of command.files) {
    const report = parseReport(await readJson(file), file);
    reports.push({ label: report.label ?? path.basename(file, '.json'), report });
  }
  const stem = `compare-${stamp(new Date().toISOString())}`;
  const comparison = compareReports(reports, (op, kind) => comparisonChartName(stem, op, kind));
  const written = await writeComparison(comparison, command.out, stem);
  io.stdout.write(`Comparison of ${reports.length} reports written:\n${written.map((file) => `  ${file}`).join('\n')}\n`);
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new BenchUsageError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BenchUsageError(`${file}: not valid JSON (${(error as Error).message}), so not a bench report`);
  }
}

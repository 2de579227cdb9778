/**
 * The bench page: runs the same runner as `pnpm bench` on the visitor's hardware with the backends
 * a browser can have, shows each as measured or unavailable with its reason, the verdicts and a
 * table of the numbers, and offers the report (JSON, format dist-kd-bench/1; Markdown; CSV) for
 * download. The form holds the settings; URL parameters preset it (sizes, backends, time, samples,
 * maxcall, full=1, resident=1) and autorun=1 starts at once. `pnpm bench --browser` drives it and reads the
 * finished report from `window.__benchReport`.
 */
import { HEADLINE_SIZES, PAGE_HEADLINE_BACKENDS } from '../baselines.js';
import { buildReport } from '../build-report.js';
import { reportChart } from '../charts.js';
import { resultsCsv } from '../csv.js';
import { formatGpuMemory, formatMiB, formatMs, formatTensors, stamp } from '../format.js';
import { notes, reportMarkdown } from '../markdown.js';
import { progressHooks } from '../progress.js';
import type { BackendEntry, BenchReport } from '../report.js';
import { runBench } from '../runner.js';
import { defaultSettings } from '../settings.js';
import { OPS, parseSizes, sizeLabel } from '../sizes.js';
import { disposeAll, loadSubject, type BenchSubject } from '../subject.js';
import { lineChartSvg } from '../svg.js';
import { verdictLine, verdicts, type Verdict } from '../verdicts.js';
import { browserMachine } from './browser-machine.js';
import { pageImport } from './page-backends.js';
import { prepareTfjsForBrowser } from './tfjs-browser-setup.js';

declare const __BENCH_VERSIONS__: Record<string, string>;
declare global {
  interface Window {
    /** The finished run's report, for `pnpm bench --browser`. */
    __benchReport?: BenchReport;
    /** Set by `pnpm bench --browser` to print the page's progress lines in the terminal. */
    __benchProgress?: (line: string) => void;
  }
}

const params = new URLSearchParams(location.search);
const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const backendsInput = element<HTMLInputElement>('backends-input');
const sizesInput = element<HTMLInputElement>('sizes');
const fullInput = element<HTMLInputElement>('full');
const residentInput = element<HTMLInputElement>('resident');
const timeInput = element<HTMLInputElement>('time');
const samplesInput = element<HTMLInputElement>('samples');
const maxCallInput = element<HTMLInputElement>('maxcall');
const runButton = element<HTMLButtonElement>('run');
const backendList = element<HTMLUListElement>('backends');
const statusLine = element<HTMLParagraphElement>('status');
const progressBar = element<HTMLProgressElement>('progress');
const log = element<HTMLOListElement>('log');
const downloads = element<HTMLParagraphElement>('downloads');
const verdictList = element<HTMLUListElement>('verdicts');
const resultsBox = element<HTMLDivElement>('results');
const charts = element<HTMLDivElement>('charts');

const defaults = defaultSettings(true);
backendsInput.value = params.get('backends') ?? PAGE_HEADLINE_BACKENDS.join(',');
sizesInput.value = params.get('sizes') ?? HEADLINE_SIZES.map(sizeLabel).join(',');
fullInput.checked = params.get('full') === '1';
residentInput.checked = params.get('resident') === '1';
timeInput.value = params.get('time') ?? String(defaults.time_ms);
samplesInput.value = params.get('samples') ?? String(defaults.min_samples);
maxCallInput.value = params.get('maxcall') ?? String(defaults.max_call_ms);

element<HTMLFormElement>('settings').addEventListener('submit', (event) => {
  event.preventDefault();
  void run();
});
if (params.get('autorun') === '1') void run();

async function run(): Promise<void> {
  document.body.dataset.state = 'running';
  runButton.disabled = true;
  downloads.hidden = true;
  for (const box of [log, charts, verdictList, resultsBox]) box.replaceChildren();
  const subjects: BenchSubject[] = [];
  try {
    const resident = residentInput.checked;
    const base = defaultSettings(true, resident, fullInput.checked);
    const settings = {
      ...base,
      time_ms: positive(timeInput.value, base.time_ms),
      min_samples: positive(samplesInput.value, base.min_samples),
      max_call_ms: positive(maxCallInput.value, base.max_call_ms),
    };
    const sizes = parseSizes(sizesInput.value);
    const backendNames = [...new Set(backendsInput.value.split(',').map((s) => s.trim()).filter(Boolean))];
    statusLine.textContent = `Loading ${backendNames.length} backends...`;
    try {
      await prepareTfjsForBrowser();
    } catch (error) {
      // The tfjs backends will then say for themselves why they cannot run.
      appendLog(`tfjs setup failed: ${(error as Error)?.message ?? error}`);
    }
    for (const name of backendNames) subjects.push(await loadSubject(name, settings.options, { importModule: pageImport }, resident));
    const logHooks = progressHooks({ write: appendLog });
    const output = await runBench(subjects, sizes, settings, {
      onBackends: (backends, plan) => {
        showBackends(backends);
        logHooks.onBackends!(backends, plan);
      },
      onStart: (what) => {
        statusLine.textContent = `Timing ${what.backend} at ${sizeLabel(what.size)}, ${what.op} (${what.index} of ${what.total})`;
        logHooks.onStart!(what);
      },
      onResult: (progress) => {
        progressBar.max = progress.total;
        progressBar.value = progress.index;
        logHooks.onResult!(progress);
      },
      sampleMemory: browserMemory,
    });
    const report = buildReport({ environment: 'browser', machine: browserMachine(), versions: __BENCH_VERSIONS__, settings, run: output });
    showReport(report);
    window.__benchReport = report;
    statusLine.textContent = `Done: ${output.results.filter((r) => r.status === 'measured').length} results measured.`;
    document.body.dataset.state = 'done';
  } catch (error) {
    statusLine.textContent = `The run failed: ${(error as Error)?.message ?? error}`;
    document.body.dataset.state = 'error';
  } finally {
    runButton.disabled = false;
    for (const problem of await disposeAll(subjects)) appendLog(`Warning: ${problem}`);
  }
}

function showBackends(backends: readonly BackendEntry[]): void {
  backendList.replaceChildren(
    ...backends.map((b) => {
      const item = document.createElement('li');
      item.dataset.backend = b.name;
      item.dataset.status = b.available ? 'measuring' : 'unavailable';
      const detail = b.available ? (b.device ?? 'available') : `unavailable: ${b.reason}${b.hint ? ` (${b.hint})` : ''}`;
      item.textContent = `${b.name}${b.role === 'baseline' ? ' (baseline)' : ''}: ${detail}`;
      return item;
    }),
  );
}

function showReport(report: BenchReport): void {
  // An available backend whose every case failed is marked failed, with the first reason.
  for (const item of Array.from(backendList.querySelectorAll<HTMLLIElement>('li[data-status="measuring"]'))) {
    const own = report.results.filter((r) => r.backend === item.dataset.backend);
    const ok = own.some((r) => r.status === 'measured');
    item.dataset.status = ok ? 'measured' : 'failed';
    if (!ok) item.textContent += ` — failed: ${own.find((r) => r.reason)?.reason ?? 'no result'}`;
  }
  const answers = verdicts(report);
  verdictList.replaceChildren(
    ...answers.map((v) => {
      const item = document.createElement('li');
      item.textContent = verdictLine(v);
      return item;
    }),
  );
  resultsBox.replaceChildren(resultsTable(report, answers));
  charts.innerHTML = OPS.map((op) => lineChartSvg(reportChart(report, op))).join('\n');
  const stem = `bench-${stamp(report.created_at)}-browser`;
  offer('download', `${stem}.json`, JSON.stringify(report, null, 2) + '\n', 'application/json');
  offer('download-md', `${stem}.md`, reportMarkdown(report), 'text/markdown');
  offer('download-csv', `${stem}.csv`, resultsCsv(report), 'text/csv');
  downloads.hidden = false;
}

/** One row per result: the numbers, and the ratio over its baseline where there is one. */
function resultsTable(report: BenchReport, answers: readonly Verdict[]): HTMLTableElement {
  const table = document.createElement('table');
  const row = (cells: readonly string[], tag: 'th' | 'td') => {
    const tr = document.createElement('tr');
    for (const text of cells) {
      const cell = document.createElement(tag);
      cell.textContent = text;
      tr.append(cell);
    }
    return tr;
  };
  table.append(row(['backend', 'size', 'op', 'median ms', 'p99 ms', 'first call ms', 'samples', 'JS heap', 'tfjs tensors (+left)', 'GPU memory (tfjs)', 'vs baseline', 'notes'], 'th'));
  for (const r of report.results) {
    const verdict = answers.find((v) => v.backend === r.backend && v.op === r.op && v.batch === r.batch && v.classes === r.classes);
    const ratio = verdict?.ratio !== undefined ? `${verdict.ratio.toPrecision(3)}× ± ${verdict.ratio_sd!.toPrecision(2)} (${verdict.baseline})` : '';
    const measured = r.status === 'measured';
    table.append(
      row(
        [
          r.backend,
          sizeLabel(r),
          r.op,
          measured ? formatMs(r.median_ms!) : r.status,
          measured ? formatMs(r.p99_ms!) : '',
          r.first_call_ms !== undefined ? formatMs(r.first_call_ms) : '',
          measured ? String(r.samples) : '',
          r.memory?.js_heap_bytes !== undefined ? formatMiB(r.memory.js_heap_bytes) : '',
          formatTensors(r.memory),
          formatGpuMemory(r.memory),
          ratio,
          notes(r),
        ],
        'td',
      ),
    );
  }
  return table;
}

function offer(id: string, name: string, content: string, type: string): void {
  const link = element<HTMLAnchorElement>(id);
  link.href = URL.createObjectURL(new Blob([content], { type }));
  link.download = name;
}

/** Chromium's non-standard performance.memory; other browsers tell nothing. */
function browserMemory(): { js_heap_bytes: number } | undefined {
  const memory = (performance as { memory?: { usedJSHeapSize: number } }).memory;
  return memory ? { js_heap_bytes: memory.usedJSHeapSize } : undefined;
}

function appendLog(text: string): void {
  for (const line of text.split('\n').filter(Boolean)) {
    window.__benchProgress?.(line);
    const item = document.createElement('li');
    item.textContent = line;
    log.append(item);
  }
}

function positive(value: string | null, fallback: number): number {
  const number = Number(value);
  return value !== null && value.trim() !== '' && Number.isFinite(number) && number > 0 ? number : fallback;
}

/**
 * The bench page: runs the same runner as `pnpm bench` on the visitor's hardware with the backends
 * a browser can have, shows each as measured or unavailable with its reason, and offers the JSON
 * report (format dist-kd-bench/1) for download. URL parameters preset it: sizes, backends, time,
 * samples, maxcall, and autorun=1 to start at once.
 */
import { buildReport } from '../build-report.js';
import { reportChart } from '../charts.js';
import { stamp } from '../format.js';
import { progressHooks } from '../progress.js';
import type { BackendEntry, BenchReport } from '../report.js';
import { runBench } from '../runner.js';
import { defaultSettings } from '../settings.js';
import { OPS, parseSizes, QUICK_SIZES, sizeLabel } from '../sizes.js';
import { disposeAll, loadSubject, type BenchSubject } from '../subject.js';
import { lineChartSvg } from '../svg.js';
import { browserMachine } from './browser-machine.js';
import { pageImport, PAGE_BACKENDS } from './page-backends.js';
import { prepareTfjsForBrowser } from './tfjs-browser-setup.js';

declare const __BENCH_VERSIONS__: Record<string, string>;

const params = new URLSearchParams(location.search);
const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const sizesInput = element<HTMLInputElement>('sizes');
const timeInput = element<HTMLInputElement>('time');
const runButton = element<HTMLButtonElement>('run');
const backendList = element<HTMLUListElement>('backends');
const statusLine = element<HTMLParagraphElement>('status');
const progressBar = element<HTMLProgressElement>('progress');
const log = element<HTMLOListElement>('log');
const download = element<HTMLAnchorElement>('download');
const charts = element<HTMLDivElement>('charts');

const defaults = defaultSettings(true);
const backendNames = params.get('backends')?.split(',').filter(Boolean) ?? PAGE_BACKENDS;
sizesInput.value = params.get('sizes') ?? QUICK_SIZES.map(sizeLabel).join(',');
timeInput.value = params.get('time') ?? String(defaults.time_ms);

element<HTMLFormElement>('settings').addEventListener('submit', (event) => {
  event.preventDefault();
  void run();
});
if (params.get('autorun') === '1') void run();

async function run(): Promise<void> {
  document.body.dataset.state = 'running';
  runButton.disabled = true;
  download.hidden = true;
  log.replaceChildren();
  charts.replaceChildren();
  const subjects: BenchSubject[] = [];
  try {
    const settings = {
      ...defaults,
      time_ms: positive(timeInput.value, defaults.time_ms),
      min_samples: positive(params.get('samples'), defaults.min_samples),
      max_call_ms: positive(params.get('maxcall'), defaults.max_call_ms),
    };
    const sizes = parseSizes(sizesInput.value);
    statusLine.textContent = `Loading ${backendNames.length} backends...`;
    try {
      await prepareTfjsForBrowser();
    } catch (error) {
      // The tfjs backends will then say for themselves why they cannot run.
      appendLog(`tfjs setup failed: ${(error as Error)?.message ?? error}`);
    }
    for (const name of backendNames) subjects.push(await loadSubject(name, settings.options, { importModule: pageImport }));
    const logHooks = progressHooks({ write: appendLog });
    const output = await runBench(subjects, sizes, settings, {
      onBackends: showBackends,
      onStart: ({ backend, size, op, index, total }) => {
        statusLine.textContent = `Timing ${backend} at ${sizeLabel(size)}, ${op} (${index} of ${total})`;
      },
      onResult: (progress) => {
        progressBar.max = progress.total;
        progressBar.value = progress.index;
        logHooks.onResult!(progress);
      },
    });
    const report = buildReport({ environment: 'browser', machine: browserMachine(), versions: __BENCH_VERSIONS__, settings, run: output });
    showReport(report);
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
  charts.innerHTML = OPS.map((op) => lineChartSvg(reportChart(report, op))).join('\n');
  const json = JSON.stringify(report, null, 2) + '\n';
  download.href = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
  download.download = `bench-${stamp(report.created_at)}-browser.json`;
  download.hidden = false;
}

function appendLog(text: string): void {
  for (const line of text.split('\n').filter(Boolean)) {
    const item = document.createElement('li');
    item.textContent = line;
    log.append(item);
  }
}

function positive(value: string | null, fallback: number): number {
  const number = Number(value);
  return value !== null && value.trim() !== '' && Number.isFinite(number) && number > 0 ? number : fallback;
}

/**
 * The bench page in headless Chromium: builds it with Vite, serves it on localhost (WebGPU needs a
 * secure context), runs it, and checks that every backend is listed as measured or unavailable
 * with a reason and that the downloadable report is a valid dist-kd-bench/1 report.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumLaunchOptions } from '../../../scripts/headless-chromium.mjs';
import { runInBrowser } from '../src/browser-run.js';
import { parseReport } from '../src/report.js';
import { PAGE_HEADLINE_BACKENDS } from '../src/baselines.js';

const CONFIG = fileURLToPath(new URL('../src/web/vite.config.ts', import.meta.url));

let outDir: string;
let server: PreviewServer;
let browser: Browser;

beforeAll(async () => {
  outDir = await mkdtemp(path.join(os.tmpdir(), 'dist-bench-page-'));
  await build({ configFile: CONFIG, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  server = await preview({ configFile: CONFIG, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0 } });
  browser = await chromium.launch(chromiumLaunchOptions());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('bench page', () => {
  it('lists every backend as measured or unavailable with a reason, and offers a valid JSON report', async () => {
    // reference (core's float64 reference, always available) shows the measuring path on any machine.
    const backends = [...PAGE_HEADLINE_BACKENDS, 'reference'];
    const url = new URL(server.resolvedUrls!.local[0]!);
    url.search = new URLSearchParams({ backends: backends.join(','), sizes: '4x6,8x10', time: '5', samples: '2', full: '1', autorun: '1' }).toString();
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(url.href);
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 120_000 });
    expect(await page.locator('#status').textContent()).toMatch(/^Done/);
    expect(pageErrors).toEqual([]);

    const items = await page.locator('#backends li').evaluateAll((lis) =>
      lis.map((li) => ({ name: (li as HTMLElement).dataset.backend, status: (li as HTMLElement).dataset.status, text: li.textContent ?? '' })),
    );
    expect(items.map((i) => i.name)).toEqual(backends);
    for (const item of items) {
      expect(['measured', 'unavailable'], `${item.name}: ${item.text}`).toContain(item.status);
      if (item.status === 'unavailable') expect(item.text).toMatch(/unavailable: \S/);
    }
    expect(items.find((i) => i.name === 'reference')?.status).toBe('measured');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toMatch(/^bench-.*-browser\.json$/);
    const report = parseReport(JSON.parse(await readFile((await download.path())!, 'utf8')), 'downloaded report');
    expect(report.environment).toBe('browser');
    expect(report.backends.map((b) => b.name)).toEqual(backends);
    for (const entry of report.backends) {
      if (!entry.available) expect(entry.reason).toBeTruthy();
      const own = report.results.filter((r) => r.backend === entry.name);
      // 2 sizes x 2 ops for each backend that ran, none for one that could not.
      expect(own).toHaveLength(entry.available ? 4 : 0);
    }
    // The SIMD kernel compiles in the page and works in tfjs-backend-wasm's heap there too.
    for (const name of ['tfjs-wasm', 'tfjs-cpu']) {
      const entry = report.backends.find((b) => b.name === name);
      expect(entry, name).toMatchObject({ available: true, details: { computedBy: 'DIST WebAssembly SIMD kernel' } });
      const own = report.results.filter((r) => r.backend === name);
      expect(own.every((r) => r.status === 'measured' && r.loss_check === 'ok'), `${name}: ${JSON.stringify(own)}`).toBe(true);
    }
    // Memory per subject on the page too: the JS heap for every result, tfjs's tensor count for the
    // tfjs subjects (none left behind by a case), nothing of tfjs for the others.
    for (const result of report.results.filter((r) => r.status === 'measured')) {
      expect(result.memory?.js_heap_bytes, result.backend).toBeGreaterThan(0);
      if (result.backend.startsWith('tfjs-')) expect(result.memory, result.backend).toMatchObject({ tfjs_tensors: expect.any(Number), tfjs_tensors_added: 0 });
      else expect(result.memory?.tfjs_tensors, result.backend).toBeUndefined();
    }
    const webgpuRows = report.results.filter((r) => r.backend === 'tfjs-webgpu' && r.status === 'measured');
    for (const result of webgpuRows) expect(result.memory, 'tfjs-webgpu').toMatchObject({ gpu_buffers_in_use: expect.any(Number), gpu_bytes_allocated: expect.any(Number) });
    expect(await page.locator('#results th').allTextContents()).toEqual(expect.arrayContaining(['JS heap', 'tfjs tensors (+left)', 'GPU memory (tfjs)']));
    const reference = report.results.filter((r) => r.backend === 'reference');
    expect(reference.every((r) => r.status === 'measured' && r.median_ms! > 0 && r.loss_check === 'ok')).toBe(true);
    expect(report.versions['@dist-kd/core']).toMatch(/^\d+\.\d+\.\d+/);
    expect(await page.locator('#charts svg').count()).toBe(2);

    // The numbers as a table beside the charts: a header and one row per result.
    expect(await page.locator('#results tr').count()).toBe(1 + report.results.length);
    // A verdict line for every backend measured next to a baseline, on the page as in the terminal.
    const verdictLines = await page.locator('#verdicts li').allTextContents();
    const tfjsWasm = report.results.filter((r) => r.backend === 'tfjs-wasm');
    expect(verdictLines.filter((line) => line.startsWith('tfjs-wasm '))).toHaveLength(tfjsWasm.length);
    for (const line of verdictLines.filter((l) => l.startsWith('tfjs-wasm '))) {
      expect(line).toMatch(/^tfjs-wasm ran \d+(\.\d+)? ± \d+(\.\d+)? times (faster|slower) than tfjs-naive-wasm at \d+x\d+ \((forward|forward\+backward)\)$/);
    }
    const [markdown] = await Promise.all([page.waitForEvent('download'), page.click('#download-md')]);
    expect(markdown.suggestedFilename()).toMatch(/^bench-.*-browser\.md$/);
    expect(await readFile((await markdown.path())!, 'utf8')).toMatch(/^# DIST benchmark[\s\S]*## Verdicts\n\n- /);
  }, 180_000);

  it('runs from the CLI side (pnpm bench --browser): settings go in as URL parameters, progress and the report come back', async () => {
    const lines: string[] = [];
    const report = await runInBrowser(
      { backends: ['reference', 'tfjs-wasm', 'tfjs-naive-wasm'], sizes: [{ batch: 4, classes: 6 }], full: false, resident: false, timeMs: 5, minSamples: 2 },
      { write: (text) => void lines.push(text) },
      outDir,
    );
    expect(report.environment).toBe('browser');
    expect(report.settings).toMatchObject({ time_ms: 5, min_samples: 2, ops: ['forward+backward'] });
    expect(report.results.map((r) => `${r.backend} ${r.batch}x${r.classes} ${r.op} ${r.status}`)).toEqual([
      'reference 4x6 forward+backward measured',
      'tfjs-wasm 4x6 forward+backward measured',
      'tfjs-naive-wasm 4x6 forward+backward measured',
    ]);
    // The page's own progress lines, one per result, as a Node run prints them.
    expect(lines.filter((l) => /^\[\d\/3 /.test(l))).toHaveLength(3);
  }, 180_000);
});

/**
 * `pnpm bench --browser`: the bench page (dist/web, built with the CLI) served on localhost and run
 * in headless Chromium, so the browser-only backends (tfjs-webgl; tfjs-webgpu and webgpu on the
 * browser's adapter) are timed next to their baselines with one command. The page's own report
 * comes back and is written like a Node run's.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchUsageError } from './errors.js';
import type { Output } from './progress.js';
import { parseReport, type BenchReport } from './report.js';
import { sizeLabel, type Size } from './sizes.js';

/** Debian's chromium (scripts/setup.sh installs it); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** What the page gets as URL parameters; unset ones keep the page's defaults. */
export interface PageSettings {
  readonly backends?: readonly string[];
  readonly sizes?: readonly Size[];
  readonly full: boolean;
  /** Bound logits (`DistBackend.bind`), as `--resident` in Node. */
  readonly resident: boolean;
  readonly timeMs?: number;
  readonly minSamples?: number;
  readonly maxCallMs?: number;
}

/** A page run may take as long as a Node run of the same grid; this only stops a page that hangs. */
const PAGE_TIMEOUT_MS = 60 * 60 * 1000;

export function pageParameters(settings: PageSettings): URLSearchParams {
  const params = new URLSearchParams({ autorun: '1' });
  if (settings.backends) params.set('backends', settings.backends.join(','));
  if (settings.sizes) params.set('sizes', settings.sizes.map(sizeLabel).join(','));
  if (settings.full) params.set('full', '1');
  if (settings.resident) params.set('resident', '1');
  if (settings.timeMs !== undefined) params.set('time', String(settings.timeMs));
  if (settings.minSamples !== undefined) params.set('samples', String(settings.minSamples));
  if (settings.maxCallMs !== undefined) params.set('maxcall', String(settings.maxCallMs));
  return params;
}

export async function runInBrowser(settings: PageSettings, progress: Output, pageDir = defaultPageDir()): Promise<BenchReport> {
  if (!existsSync(path.join(pageDir, 'index.html'))) {
    throw new BenchUsageError(`the bench page is not built (${pageDir}/index.html is missing): run pnpm --filter @dist-kd/bench build, or pnpm bench, which builds first`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new BenchUsageError(`--browser needs Chromium at ${CHROMIUM}: apt-get install chromium (scripts/setup.sh does), or set CHROMIUM_PATH`);
  }
  const { chromium } = await import('playwright-core');
  const server = await serve(pageDir);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // WebGPU in headless Chromium (SwiftShader without a GPU); no background traffic.
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    // The page's progress lines, as the Node run prints its own.
    await page.exposeFunction('__benchProgress', (line: string) => progress.write(`${line}\n`));
    const port = (server.address() as { port: number }).port;
    await page.goto(`http://localhost:${port}/index.html?${pageParameters(settings)}`);
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: PAGE_TIMEOUT_MS });
    const state = await page.evaluate(() => document.body.dataset.state);
    if (state !== 'done') throw new Error(`the bench page stopped: ${await page.locator('#status').textContent()}`);
    return parseReport(await page.evaluate(() => (window as { __benchReport?: unknown }).__benchReport), 'the bench page');
  } finally {
    await browser.close();
    server.close();
  }
}

function defaultPageDir(): string {
  // The CLI runs from dist/; the page is built into dist/web.
  return fileURLToPath(new URL('./web/', import.meta.url));
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

/**
 * The built page on localhost (a secure context, as WebGPU needs), cross-origin isolated as the
 * Vite servers serve it, so the page's timer has 5 µs steps instead of 0.1 ms.
 */
function serve(folder: string): Promise<Server> {
  const server = createServer(async (request, response) => {
    const file = path.join(folder, decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname));
    try {
      if (!file.startsWith(folder)) throw new Error('outside the page folder');
      const body = await readFile(file);
      response.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      });
      response.end(body);
    } catch {
      response.writeHead(404);
      response.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

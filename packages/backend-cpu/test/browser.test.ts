/**
 * The backend as a browser bundle (esbuild, platform browser) in headless Chromium (Debian's
 * /usr/bin/chromium; scripts/setup.sh installs it): on Web Workers when the page is cross-origin
 * isolated, on the calling thread otherwise, with the results Node gives.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '../src/index.js';
import { build } from 'esbuild';
import { chromiumLaunchOptions } from '../../../scripts/headless-chromium.mjs';
import { serveTestPage } from '../../../scripts/serve-test-page.mjs';

/** The entry bundled for the browser and served, cross-origin isolated or not. */
function serveBundle(entry: string, { isolated }: { isolated: boolean }) {
  const headers: Record<string, string> = isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
  return serveTestPage({ build: build as never, entry, headers });
}

const PAGE = fileURLToPath(new URL('./browser/page.ts', import.meta.url));
const QUICK_START = fileURLToPath(new URL('../examples/quick-start.mjs', import.meta.url));

interface PageResult {
  availability: { device: string; details: Record<string, string> };
  crossOriginIsolated: boolean;
  loss: number;
  gradientHead: number[];
}

let browser: Browser;

beforeAll(async () => {
  const options = chromiumLaunchOptions();
  if (!existsSync(options.executablePath)) {
    throw new Error(`${options.executablePath} not found: run scripts/setup.sh (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  browser = await chromium.launch(options);
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function pageResult(isolated: boolean): Promise<PageResult> {
  const served = await serveBundle(PAGE, { isolated });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  try {
    await page.goto(served.url);
    await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 30_000 }).catch(() => {
      throw new Error(`the page did not load: ${errors.join('; ') || 'no error reported'}`);
    });
    return (await page.evaluate(() => (window as unknown as { distResult: Promise<unknown> }).distResult)) as PageResult;
  } finally {
    await page.close();
    await served.close();
  }
}

/** What Node computes for the page's case, on one thread (the same kernel, so the same bits). */
async function nodeResult(): Promise<{ loss: number; gradientHead: number[] }> {
  const logits = (length: number, seed: number) => {
    let state = seed >>> 0;
    return Float32Array.from({ length }, () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return (state / 2 ** 32 - 0.5) * 8;
    });
  };
  const cpu = createCpuBackend({ threads: 1 });
  const result = await cpu.compute({ student: logits(256_000, 1), teacher: logits(256_000, 2), shape: [256, 1000], gradient: true });
  await cpu.dispose();
  return { loss: result.loss, gradientHead: Array.from(result.gradient!.subarray(0, 8)) };
}

describe('backend-cpu in headless Chromium', () => {
  it('bundles for the browser with no Node built-in on its path', async () => {
    const served = await serveBundle(QUICK_START, { isolated: false });
    await served.close();
    // Paths are relative to this package: its own sources, then core's and the kernel's.
    expect(served.inputs).toContain('src/index.ts');
    expect(served.inputs.some((input) => input.includes('kernel-wasm/src/'))).toBe(true);
    expect(served.inputs.filter((input) => input.startsWith('node:') || input.includes('worker_threads'))).toEqual([]);
  });

  it('runs the README quick start as written', async () => {
    const served = await serveBundle(QUICK_START, { isolated: false });
    const page = await browser.newPage();
    const lines: string[] = [];
    page.on('console', (message) => lines.push(message.text()));
    try {
      await page.goto(served.url);
      await expect.poll(() => lines.filter((line) => line.startsWith('loss') || line.startsWith('dloss')).length, { timeout: 30_000 }).toBe(2);
    } finally {
      await page.close();
      await served.close();
    }
    const printed = lines.filter((line) => line.startsWith('loss') || line.startsWith('dloss'));
    expect(printed[0]).toMatch(/^loss \d+\.\d{4}: inter \d\.\d{4}, intra \d\.\d{4}$/);
    expect(printed[1]).toMatch(/^dloss\/dstudent\[0\] = -?\d\.\d{3}e[-+]\d+$/);
  }, 60_000);

  it('splits a large call across Web Workers on a cross-origin isolated page', async () => {
    const result = await pageResult(true);
    expect(result.crossOriginIsolated).toBe(true);
    const threads = Number(result.availability.details.threads);
    expect(threads).toBeGreaterThanOrEqual(2);
    expect(result.availability.details.singleThreadReason).toBeUndefined();
    const expected = await nodeResult();
    // Another split of the rows: equal up to the rounding of the statistics' merge.
    expect(Math.abs(result.loss - expected.loss)).toBeLessThan(1e-6 * expected.loss);
    result.gradientHead.forEach((value, k) => expect(Math.abs(value - expected.gradientHead[k])).toBeLessThan(1e-5 * Math.abs(expected.gradientHead[k]) + 1e-12));
  }, 60_000);

  it('runs on the calling thread, and says why, on a page that is not isolated', async () => {
    const result = await pageResult(false);
    expect(result.crossOriginIsolated).toBe(false);
    expect(result.availability.details.threads).toBe('1');
    expect(result.availability.details.singleThreadReason).toMatch(/cross-origin isolated/);
    const expected = await nodeResult();
    expect(result.loss).toBe(expected.loss);
    expect(result.gradientHead).toEqual(expected.gradientHead);
  }, 60_000);
});

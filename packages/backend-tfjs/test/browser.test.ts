/**
 * backend-tfjs on tfjs-webgl and tfjs-webgpu in headless Chromium (Debian's /usr/bin/chromium; WebGL
 * and WebGPU both run on SwiftShader there): the whole conformance suite (bundled golden files
 * included, fetched by the page), training with `model.fit` + `distLossFunction` and
 * `optimizer.minimize` + `distillationLoss` over 1,000 steps without a tensor leak, and bad input
 * ending in a DistInputError when the loss is read (the default validation on GPU backends). One browser for the file.
 * What computes DIST on each backend is reported (the test checks behaviour, not the path).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, chromiumLaunchOptions } from '../../../scripts/headless-chromium.mjs';
import type { PageApi } from './browser/page.js';
import { servePage } from './browser/serve-page.mjs';

let browser: Browser;
let page: Page;
let server: Awaited<ReturnType<typeof servePage>>;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} not found: run scripts/setup.sh (apt-get install chromium libvulkan1) or set CHROMIUM_PATH`);
  }
  server = await servePage();
  browser = await chromium.launch(chromiumLaunchOptions());
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(server.url);
  await page.waitForFunction(() => document.title !== 'loading', undefined, { timeout: 60_000 }).catch(() => {
    throw new Error(`the test page did not load: ${pageErrors.join('; ') || 'no error reported'}`);
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

function call<K extends keyof PageApi>(name: K, ...args: Parameters<PageApi[K]>): Promise<Awaited<ReturnType<PageApi[K]>>> {
  return page.evaluate(
    ([fn, fnArgs]) => (window as unknown as Record<string, (...a: unknown[]) => unknown>)[fn](...fnArgs),
    [name, args] as const,
  ) as Promise<Awaited<ReturnType<PageApi[K]>>>;
}

describe.each(['webgl', 'webgpu'] as const)('backend-tfjs on tfjs-%s in headless Chromium', (platform) => {
  it('passes the conformance suite', async () => {
    const summary = await call('distConformance', platform);
    expect(summary, JSON.stringify(summary)).toMatchObject({ available: true });
    console.log(`tfjs-${platform} (${summary.computedBy}): ${summary.passed} passed, ${summary.failed} failed`);
    expect(summary.failures).toEqual([]);
    expect(summary.failed).toBe(0);
    expect(summary.passed).toBeGreaterThan(100);
    // The sigmoid checks ran; on webgl, in the GLSL kernel (on webgpu, as the fused ops).
    console.log(`tfjs-${platform}: ${summary.sigmoidPassed} sigmoid checks passed, ${summary.sigmoidInKernel ? 'in the DIST kernel' : 'as tfjs ops'}`);
    expect(summary.sigmoidPassed).toBeGreaterThan(5);
    if (platform === 'webgl') expect(summary.sigmoidInKernel).toBe(true);
  }, 600_000);

  it.each(['minimize', 'fit'] as const)('trains with %s over 1,000 steps, the loss falling, no tensor leaking', async (how) => {
    const run = await call('distTrain', platform, how, 1000);
    console.log(`tfjs-${platform} ${how} (${run.computedBy}): loss ${run.firstLoss} -> ${run.lastLoss}, tensors ${run.tensorsEarly} -> ${run.tensorsLate} over ${run.steps} steps`);
    expect(run.steps).toBe(1000);
    expect(Number.isFinite(run.lastLoss)).toBe(true);
    expect(run.lastLoss).toBeLessThan(0.5 * run.firstLoss);
    expect(run.tensorsEarly).toBeGreaterThan(0);
    expect(run.tensorsLate).toBe(run.tensorsEarly);
    // tfjs-webgpu on SwiftShader dispatches slowly: with the fused ops, a loop took 2 to 3 minutes here.
  }, 600_000);

  it('turns a NaN logit into NON_FINITE when the loss is read, with no read inside the op', async () => {
    const result = await call('distBadInput', platform);
    expect(Number.isNaN(result.loss)).toBe(true);
    expect(result.error).toMatchObject({ name: 'DistInputError', code: 'NON_FINITE', message: /student\[2\]\[1\]|student\[2, 1\]/ });
  }, 60_000);
});

describe('host arrays on tfjs-webgl', () => {
  it('go into packed textures and come back from them value for value, odd edges included; a shape past the plain layout uses tfjs', async () => {
    // 2 x 20000: tfjs-webgl (texture size 8192 on SwiftShader) lays that out squarish, not plainly.
    const cases = await call('distHostTransfers', [[1, 3], [3, 5], [2, 2], [7, 1], [256, 1000], [255, 999], [2, 20000]]);
    for (const c of cases) {
      expect(c.uploadMismatches, JSON.stringify(c)).toBe(0);
      expect(c.readMismatches, JSON.stringify(c)).toBe(0);
      expect(c.gradientMismatches, JSON.stringify(c)).toBe(0);
      const plain = c.shape[1] <= 16384;
      expect(c.uploadedDirectly, JSON.stringify(c)).toBe(plain);
      expect(c.readDirectly, JSON.stringify(c)).toBe(plain);
      expect(c.gradientReadDirectly, JSON.stringify(c)).toBe(c.shape[1] > 1 ? plain : null);
    }
  }, 60_000);
});

describe('the page', () => {
  it('raised no uncaught error', () => {
    expect(pageErrors).toEqual([]);
  });
});

/**
 * The backend in headless Chromium (Debian's /usr/bin/chromium, WebGPU on SwiftShader), checked
 * against core's float64 reference. scripts/setup.sh installs chromium on a new machine.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceDist } from '@dist-kd/core';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH as CHROMIUM, chromiumLaunchOptions } from '../../../scripts/headless-chromium.mjs';
import { servePage } from './browser/serve.js';
import { logits, maxAbs, maxAbsDifference, TOLERANCE } from './helpers.js';


let context: BrowserContext;
let page: Page;
let server: Awaited<ReturnType<typeof servePage>>;
const profile = mkdtempSync(join(tmpdir(), 'dist-kd-chromium-'));

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: run scripts/setup.sh (apt-get install chromium libvulkan1) or set CHROMIUM_PATH`);
  }
  server = await servePage();
  context = await chromium.launchPersistentContext(profile, chromiumLaunchOptions());
  page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(server.url);
  await page.waitForFunction(() => document.title !== 'loading', undefined, { timeout: 30_000 }).catch(() => {
    throw new Error(`the test page did not load: ${errors.join('; ') || 'no error reported'}`);
  });
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  rmSync(profile, { recursive: true, force: true });
});

describe('webgpu backend in headless Chromium', () => {
  it('is available on navigator.gpu', async () => {
    const availability = await page.evaluate(() => (window as unknown as { distAvailability(): Promise<unknown> }).distAvailability());
    expect(availability).toMatchObject({ available: true, details: { source: 'navigator.gpu' } });
    // Chromium without a GPU runs WebGPU on SwiftShader, which must be reported as software.
    const { details, software } = availability as { details: Record<string, string>; software: boolean };
    if (/swiftshader/i.test(Object.values(details).join(' '))) expect(software).toBe(true);
  });

  it('matches the float64 reference', async () => {
    const cases = [
      { shape: [4, 5] as [number, number], scale: 4, options: {} },
      { shape: [64, 300] as [number, number], scale: 10, options: { tau: 1 } },
      { shape: [32, 1000] as [number, number], scale: 1e-3, options: { tau: 8 } },
      { shape: [9, 13] as [number, number], scale: 4, options: { epsMode: 'official', beta: 1, gamma: 1, tau: 1 } },
    ].map(({ shape, scale, options }, k) => ({
      student: Array.from(logits(shape[0] * shape[1], 3 + k, scale)),
      teacher: Array.from(logits(shape[0] * shape[1], 30 + k, scale)),
      shape,
      options,
    }));
    const results = await page.evaluate(
      (input) => (window as unknown as { distCompute(c: unknown): Promise<unknown> }).distCompute(input),
      cases,
    ) as { loss: number; inter: number; intra: number; gradient: number[] }[];
    cases.forEach((c, k) => {
      const reference = referenceDist({
        student: Float32Array.from(c.student),
        teacher: Float32Array.from(c.teacher),
        shape: c.shape,
        options: c.options as never,
        gradient: true,
      });
      const result = results[k];
      expect(Math.abs(result.loss - reference.loss)).toBeLessThanOrEqual(TOLERANCE.scalarRelative * reference.loss + TOLERANCE.scalarAbsolute);
      expect(Math.abs(result.inter - reference.inter)).toBeLessThanOrEqual(TOLERANCE.scalarRelative + TOLERANCE.scalarAbsolute);
      expect(Math.abs(result.intra - reference.intra)).toBeLessThanOrEqual(TOLERANCE.scalarRelative + TOLERANCE.scalarAbsolute);
      expect(maxAbsDifference(result.gradient, reference.gradient!)).toBeLessThanOrEqual(
        TOLERANCE.gradientRelative * maxAbs(reference.gradient!) + 1e-9,
      );
    });
  });
});

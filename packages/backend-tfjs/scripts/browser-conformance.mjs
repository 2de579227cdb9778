/**
 * The conformance suite on tfjs-webgl and tfjs-webgpu in headless Chromium (both on SwiftShader
 * without a GPU), with golden files of your own besides the bundled ones: the browser counterpart of
 * `pnpm conformance --backend tfjs-wasm --golden FILE`, for the backends that exist only in a page.
 * Prints each backend's failures and its count; exit status 1 when a check failed.
 *
 *   node packages/backend-tfjs/scripts/browser-conformance.mjs [--platform webgl|webgpu] [--golden FILE ...]
 */
import { basename, dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../../../scripts/headless-chromium.mjs';
import { servePage } from '../test/browser/serve-page.mjs';

const { values } = parseArgs({
  options: { platform: { type: 'string', multiple: true }, golden: { type: 'string', multiple: true } },
});
const platforms = values.platform ?? ['webgl', 'webgpu'];
// Each file is served from a prefix of its own folder: the page fetches it as the suite would a URL.
const files = (values.golden ?? []).map((file, k) => ({ prefix: `/extra-golden/${k}/`, path: resolve(file) }));
const extraJson = Object.fromEntries(files.map(({ prefix, path }) => [prefix, pathToFileURL(`${dirname(path)}/`)]));
const goldenUrls = files.map(({ prefix, path }) => `${prefix}${basename(path)}`);

const server = await servePage({ extraJson });
const browser = await chromium.launch(chromiumLaunchOptions());
let failed = false;
try {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => document.title !== 'loading', undefined, { timeout: 60_000 });
  for (const platform of platforms) {
    const summary = await page.evaluate(([p, g]) => window.distConformance(p, g), [platform, goldenUrls]);
    if (!summary.available) {
      console.log(`tfjs-${platform}: unavailable: ${summary.reason}`);
      failed = true;
      continue;
    }
    for (const failure of summary.failures) console.log(`FAIL tfjs-${platform} ${failure}`);
    console.log(`tfjs-${platform} (${summary.computedBy}): ${summary.passed} passed, ${summary.failed} failed`);
    failed ||= summary.failed > 0;
  }
} finally {
  await browser.close();
  await server.close();
}
process.exit(failed ? 1 : 0);

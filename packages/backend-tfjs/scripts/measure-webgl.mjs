/**
 * Times distLoss (forward + backward), its kernel against its fused ops, in headless Chromium, on a tfjs
 * GPU backend (WebGL or WebGPU, both on SwiftShader without a GPU), calls alternating between the
 * subjects sample by sample, reading after each call and after 10 calls (see \`bench\` in
 * test/browser/page.ts). Prints a Markdown table of median ms per call. The naive tfjs port is the
 * bench's baseline: pnpm bench --browser --backends tfjs-webgl,tfjs-naive-webgl.
 *
 *   node packages/backend-tfjs/scripts/measure-webgl.mjs [webgl|webgpu] [samples] [BxC ...]
 */
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../../../scripts/headless-chromium.mjs';
import { servePage } from '../test/browser/serve-page.mjs';

const [platform = 'webgl', callsArg = '10', ...sizeArgs] = process.argv.slice(2);
const sizes = (sizeArgs.length ? sizeArgs : ['256x1000', '1024x1000']).map((size) => size.split('x').map(Number));

const server = await servePage();
const browser = await chromium.launch(chromiumLaunchOptions());
try {
  const page = await browser.newPage();
  page.on('console', (message) => message.type() === 'error' && console.error(message.text()));
  await page.goto(server.url);
  await page.waitForFunction(() => document.title !== 'loading', undefined, { timeout: 60_000 });
  const renderer = await page.evaluate(() => {
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    return info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : 'unknown';
  });
  const timings = await page.evaluate(([p, s, c]) => window.distBench(p, s, c), [platform, sizes, Number(callsArg)]);
  console.log(`tfjs-${platform} in headless Chromium (${renderer}), forward + backward, median ms per call of ${callsArg} samples\n`);
  const subjects = [...new Set(timings.map((t) => t.subject))];
  console.log(`| B x C | reads | ${subjects.join(' | ')} | ops / kernel |`);
  console.log(`| --- | --- | ${subjects.map(() => '---:').join(' | ')} | ---: |`);
  for (const size of [...new Set(timings.map((t) => t.size))]) {
    for (const reads of ['each call', 'pipelined']) {
      const row = Object.fromEntries(timings.filter((t) => t.size === size && t.reads === reads).map((t) => [t.subject, t.medianMs]));
      const ratio = row['distLoss ops'] / row.distLoss;
      console.log(`| ${size} | ${reads} | ${subjects.map((s) => row[s].toFixed(1)).join(' | ')} | ${ratio.toFixed(1)}x |`);
    }
  }
} finally {
  await browser.close();
  await server.close();
}

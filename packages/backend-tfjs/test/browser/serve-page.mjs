/**
 * Bundles the browser test page (`page.ts`) with esbuild and serves it on localhost (a secure
 * context, as WebGPU needs), with the conformance suite's golden files where the suite fetches them
 * (next to the bundle's URL, as `BUNDLED_GOLDEN` resolves them). Used by `browser.test.ts` and by
 * `scripts/measure-webgl.mjs`.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const GOLDEN_FOLDER = new URL('../../../conformance/golden/', import.meta.url);

export async function servePage() {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Workspace packages point their `development` condition at sources.
    conditions: ['development'],
    // Node-only modules that backend-tfjs imports on demand through variables; never reached in a page.
    external: ['webgpu', '@tensorflow/tfjs-node', 'node:*'],
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0].text;
  const html = '<!doctype html><meta charset="utf-8"><title>loading</title><script type="module" src="/page.js"></script>';
  const server = createServer(async (request, response) => {
    const golden = /^\/golden\/([\w-]+\.json)$/.exec(request.url ?? '');
    if (request.url === '/page.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html' }).end(html);
    } else if (golden) {
      const body = await readFile(new URL(golden[1], GOLDEN_FOLDER)).catch(() => undefined);
      if (body) response.writeHead(200, { 'content-type': 'application/json' }).end(body);
      else response.writeHead(404).end();
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://localhost:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

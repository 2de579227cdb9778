/**
 * Serves a browser test page on localhost (a secure context, as WebGPU needs): `entry` bundled with
 * esbuild at /page.js, a page loading it at /, and the JSON files of `jsonFolders` (URL prefix ->
 * folder URL), every response with `headers` (cross-origin isolation, say: the condition for sharing
 * memory with Web Workers). esbuild comes from the caller (`build`): it is each package's dev
 * dependency, and this folder has no node_modules of its own. Also returns the bundle's inputs.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';

export async function serveTestPage({ build, entry, external = [], jsonFolders = {}, headers = {} }) {
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Workspace packages point their `development` condition at sources.
    conditions: ['development'],
    external,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0].text;
  const html = '<!doctype html><meta charset="utf-8"><title>loading</title><script type="module" src="/page.js"></script>';
  const server = createServer(async (request, response) => {
    const url = request.url ?? '';
    const json = Object.entries(jsonFolders)
      .map(([prefix, folder]) => [folder, new RegExp(`^${prefix}([\\w-]+\\.json)$`).exec(url)])
      .find(([, match]) => match);
    if (url === '/page.js') {
      response.writeHead(200, { 'content-type': 'text/javascript', ...headers }).end(script);
    } else if (url === '/') {
      response.writeHead(200, { 'content-type': 'text/html', ...headers }).end(html);
    } else if (json) {
      const body = await readFile(new URL(json[1][1], json[0])).catch(() => undefined);
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
    inputs: Object.keys(bundle.metafile.inputs),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

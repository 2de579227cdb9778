/**
 * Bundles a browser entry with esbuild and serves it on localhost, with or without the headers that
 * make a page cross-origin isolated (the condition for sharing memory with Web Workers).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build, type Metafile } from 'esbuild';

export interface ServedBundle {
  readonly url: string;
  /** Every module the bundle holds, by path. */
  readonly inputs: readonly string[];
  close(): Promise<void>;
}

export async function serveBundle(entry: string, { isolated }: { isolated: boolean }): Promise<ServedBundle> {
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Workspace packages point their `development` condition at sources.
    conditions: ['development'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0].text;
  const html = '<!doctype html><meta charset="utf-8"><title>loading</title><script type="module" src="/page.js"></script>';
  const isolation = isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
  const server: Server = createServer((request, response) => {
    if (request.url === '/page.js') {
      response.writeHead(200, { 'content-type': 'text/javascript', ...isolation }).end(script);
    } else if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html', ...isolation }).end(html);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/`,
    inputs: Object.keys((bundle.metafile as Metafile).inputs),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Bundles the test page with esbuild and serves it on localhost (a secure context, as WebGPU needs). */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { serveTestPage } from '../../../../scripts/serve-test-page.mjs';

export function servePage(): Promise<{ url: string; close: () => Promise<void> }> {
  return serveTestPage({ build, entry: fileURLToPath(new URL('./page.ts', import.meta.url)) });
}

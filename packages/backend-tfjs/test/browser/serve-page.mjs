/**
 * The browser test page (`page.ts`) on localhost, with the conformance suite's golden files where the
 * suite fetches them (next to the bundle's URL, as `BUNDLED_GOLDEN` resolves them). Used by
 * `browser.test.ts` and by `scripts/measure-webgl.mjs`.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { serveTestPage } from '../../../../scripts/serve-test-page.mjs';

/** `extraJson`: more URL prefix -> folder entries (golden files of `scripts/browser-conformance.mjs`). */
export function servePage({ extraJson = {} } = {}) {
  return serveTestPage({
    build,
    entry: fileURLToPath(new URL('./page.ts', import.meta.url)),
    // Node-only modules that backend-tfjs imports on demand through variables; never reached in a page.
    external: ['webgpu', '@tensorflow/tfjs-node', 'node:*'],
    jsonFolders: { '/golden/': new URL('../../../conformance/golden/', import.meta.url), ...extraJson },
  });
}

/** Builds the bench page (src/web) into dist/web: `vite build --config src/web/vite.config.ts`. */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { nodeVersions } from '../node-machine.js';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

// The page reports the versions of the packages bundled into it, not of the Node that built it.
const { node: _buildNode, ...bundledVersions } = nodeVersions(here('.'));

/**
 * Cross-origin isolation gives performance.now() 5 µs steps instead of 0.1 ms in Chromium (and
 * SharedArrayBuffer, for threaded wasm). Hosts of dist/web should send these headers too.
 */
const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const NODE_ONLY = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu'];

export default defineConfig({
  root: here('.'),
  base: './',
  define: { __BENCH_VERSIONS__: JSON.stringify(bundledVersions) },
  optimizeDeps: { exclude: NODE_ONLY },
  // One tfjs-core for the backend package and the page's tfjs setup: tfjs keeps its registry in it.
  resolve: { dedupe: ['@tensorflow/tfjs-core'] },
  server: { headers: CROSS_ORIGIN_ISOLATION },
  preview: { headers: CROSS_ORIGIN_ISOLATION },
  build: {
    rollupOptions: {
      // Node-only packages a backend may import on demand (native addons); in a page that import
      // fails and the backend reports itself unavailable instead of breaking the bundle.
      external: NODE_ONLY,
    },
    outDir: here('../../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    // tfjs and its wasm binaries are large; the page is a tool, not a landing page.
    chunkSizeWarningLimit: 4096,
  },
});

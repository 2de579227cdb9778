/**
 * What @dist-kd/backend-tfjs leaves to the page in a browser: where tfjs-backend-wasm finds its
 * .wasm binaries (Vite emits them as assets and gives their URLs), and registering
 * tfjs-backend-webgpu, an optional peer the backend cannot import by name from inside a bundle.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import plainWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { env } from '@tensorflow/tfjs-core';

export async function prepareTfjsForBrowser(): Promise<void> {
  // On a cross-origin isolated page tfjs would pick its threaded wasm, whose inline worker breaks
  // once bundled ("e is not defined" in the worker) and never starts: stay single-threaded.
  env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  // setWasmPaths wants every binary named, the threaded one too, though it is not used.
  setWasmPaths({
    'tfjs-backend-wasm.wasm': plainWasm,
    'tfjs-backend-wasm-simd.wasm': simdWasm,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedSimdWasm,
  });
  // It registers its backend on import, and only where navigator.gpu exists.
  if ('gpu' in navigator) await import('@tensorflow/tfjs-backend-webgpu');
}

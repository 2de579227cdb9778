import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/**
 * Selects tfjs's wasm backend and fails loudly if it cannot start: the example's numbers are for
 * that backend, so it never falls back to another one. In Node the wasm backend runs on one thread.
 */
export async function useWasmBackend(): Promise<string> {
  const ready = await tf.setBackend('wasm');
  if (!ready) throw new Error('the tfjs wasm backend failed to initialise (is @tensorflow/tfjs-backend-wasm installed?)');
  await tf.ready();
  return tf.getBackend();
}

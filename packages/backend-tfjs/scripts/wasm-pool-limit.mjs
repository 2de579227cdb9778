// Reproduces the tfjs-backend-wasm bug that `src/column-mean.ts` works around, with tfjs alone: one
// tf.avgPool over B rows with C channels, each [B, C] in a fresh process (a failure corrupts the wasm
// heap for the rest of the process). Prints "ok" or the error per shape.
// Usage: node packages/backend-tfjs/scripts/wasm-pool-limit.mjs [B,C ...]   (default: the shapes below)
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const shapes = process.argv.length > 2 ? process.argv.slice(2) : ['7,100000', '8,16300', '8,16350', '32,16300', '32,16350', '32,32000'];

if (process.env.POOL_SHAPE) {
  const tf = await import('@tensorflow/tfjs');
  const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
  const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  setWasmPaths(path.dirname(entry) + path.sep);
  await tf.setBackend('wasm');
  const [batch, channels] = process.env.POOL_SHAPE.split(',').map(Number);
  try {
    const x = tf.ones([1, batch, 1, channels]);
    const pooled = tf.avgPool(x, [batch, 1], [batch, 1], 'valid');
    await pooled.data();
    tf.dispose([x, pooled]);
    // A second allocation fails too once the heap is corrupted.
    tf.ones([batch, channels]).dispose();
    console.log(`avgPool over ${batch} rows, ${channels} channels: ok`);
  } catch (error) {
    console.log(`avgPool over ${batch} rows, ${channels} channels: ${error.message}`);
  }
} else {
  for (const shape of shapes) {
    execFileSync(process.execPath, [fileURLToPath(import.meta.url)], { env: { ...process.env, POOL_SHAPE: shape }, stdio: 'inherit' });
  }
}

import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useTfjsPlatform } from '../src/index.js';

describe('useTfjsPlatform', () => {
  it('loads the wasm binaries from an absolute folder, whatever the working directory', async () => {
    const ready = await useTfjsPlatform('wasm');
    const folder = ready.details.wasmFolder;
    expect(isAbsolute(folder)).toBe(true);
    expect(existsSync(join(folder, 'tfjs-backend-wasm-simd.wasm'))).toBe(true);
    expect(ready.details.simd).toBe('true');
  });

  it('makes the chosen backend active and reports it', async () => {
    expect((await useTfjsPlatform('cpu')).tfjsBackend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await useTfjsPlatform('auto')).platform).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects a platform that cannot start with the reason and the install command', async () => {
    await expect(useTfjsPlatform('node')).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      hint: expect.stringMatching(/npm install @tensorflow\/tfjs-node/),
    });
    // A failed start leaves the active backend alone.
    expect(tf.getBackend()).toBe('wasm');
  });
});

/**
 * The DIST kernel registry: one config per tfjs backend, registered in tfjs's own kernel registry,
 * and `distPass` takes whatever that registry holds for the active backend.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveOptions } from '@dist-kd/core';
import { describe, expect, it } from 'vitest';
import { distPass, runsDistKernel } from '../src/dist-pass.js';
import { DIST_KERNEL_NAME } from '../src/kernels/dist-kernel.js';
import { DIST_KERNEL_CONFIGS, hasDistKernel } from '../src/kernels/register-all.js';

describe('the DistKdDist kernel registry', () => {
  it('lists one config per tfjs backend, all under the one kernel name', () => {
    const backends = DIST_KERNEL_CONFIGS.map((config) => config.backendName);
    expect(new Set(backends).size).toBe(backends.length);
    expect(backends).toEqual(expect.arrayContaining(['wasm', 'cpu']));
    for (const config of DIST_KERNEL_CONFIGS) expect(config.kernelName).toBe(DIST_KERNEL_NAME);
  });

  it('registers the SIMD configs with tfjs when their backend is first asked about (this engine has WebAssembly SIMD)', () => {
    expect(hasDistKernel('cpu')).toBe(true);
    expect(hasDistKernel('wasm')).toBe(true);
    expect(tf.getKernel(DIST_KERNEL_NAME, 'wasm')?.backendName).toBe('wasm');
    expect(runsDistKernel('ops', 'cpu')).toBe(false);
  });

  it("runs whatever tfjs's registry holds for the active backend", async () => {
    // A backend no config lists: fused ops, until a config for it is registered.
    const backendName = 'dist-kd-test-backend';
    await tf.setBackend('cpu');
    const cpuFactory = tf.findBackendFactory('cpu')!;
    tf.registerBackend(backendName, () => cpuFactory() as tf.KernelBackend, 0);
    expect(runsDistKernel('auto', backendName)).toBe(false);
    const calls: number[][] = [];
    tf.registerKernel({
      kernelName: DIST_KERNEL_NAME,
      backendName,
      kernelFunc: ({ inputs, backend }) => {
        calls.push((inputs.student as tf.TensorInfo).shape);
        const cpu = backend as unknown as { makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo };
        return [7, 1, 2].map((value) => cpu.makeTensorInfo([], 'float32', Float32Array.of(value)));
      },
    });
    expect(runsDistKernel('auto', backendName)).toBe(true);
    const previous = tf.getBackend();
    await tf.setBackend(backendName);
    try {
      const pass = distPass(tf.zeros([2, 3]), tf.zeros([2, 3]), resolveOptions({}), { gradient: false });
      expect(await pass.loss.data()).toEqual(Float32Array.of(7));
      expect(calls).toEqual([[2, 3]]);
    } finally {
      await tf.setBackend(previous);
      tf.unregisterKernel(DIST_KERNEL_NAME, backendName);
      tf.removeBackend(backendName);
    }
  });
});

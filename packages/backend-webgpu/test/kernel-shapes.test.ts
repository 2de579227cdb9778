/**
 * Every workgroup geometry computes the same thing: the hardware default (256 lanes per row), the
 * software default (one invocation per row) and others, all on whatever adapter the tests have.
 */
import { afterAll, describe, it } from 'vitest';
import { createBackend, type WebGpuBackend } from '../src/index.js';
import { HARDWARE_SHAPE, SOFTWARE_SHAPE, type KernelShape } from '@dist-kd/kernel-wgsl';
import { expectMatchesReference, logits } from './helpers.js';

const shapes: [string, KernelShape][] = [
  ['hardware default', HARDWARE_SHAPE],
  ['software default', SOFTWARE_SHAPE],
  ['4 rows per workgroup', { workgroupSize: 64, rowLanes: 16, columnTile: 8 }],
  ['one invocation per row, 32 per workgroup', { workgroupSize: 32, rowLanes: 1, columnTile: 32 }],
];

for (const [name, kernelShape] of shapes) {
  describe(`kernel shape: ${name}`, () => {
    const backend: WebGpuBackend = createBackend({ kernelShape });
    afterAll(() => backend.dispose());
    for (const [B, C, scale, tau] of [
      [7, 300, 6, 2],
      [65, 33, 1e-3, 6],
      [3, 1, 4, 1],
    ] as const) {
      it(`[${B}, ${C}]`, async () => {
        const request = {
          student: logits(B * C, B + C, scale),
          teacher: logits(B * C, B * C, scale),
          shape: [B, C] as const,
          options: { tau },
          gradient: true,
        };
        expectMatchesReference(await backend.compute(request), request);
      });
    }
  });
}

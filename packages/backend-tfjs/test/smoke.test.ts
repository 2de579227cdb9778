import { describe, expect, it } from 'vitest';
import { referenceDist } from '@dist-kd/core';
import { createBackend } from '../src/index.js';

describe('smoke', () => {
  for (const variant of ['wasm', 'cpu', 'naive-wasm']) {
    it(variant, async () => {
      const B = 5, C = 7;
      const s = Float32Array.from({ length: B * C }, (_, k) => Math.sin(k * 1.3) * 3);
      const t = Float32Array.from({ length: B * C }, (_, k) => Math.cos(k * 0.7) * 2);
      const backend = createBackend({ variant });
      console.log(await backend.availability());
      const got = await backend.compute({ student: s, teacher: t, shape: [B, C], gradient: true });
      const ref = referenceDist({ student: s, teacher: t, shape: [B, C], gradient: true });
      console.log(got.loss, ref.loss, got.inter, ref.inter, got.intra, ref.intra);
      const maxErr = Math.max(...Array.from(got.gradient!, (g, k) => Math.abs(g - ref.gradient![k])));
      console.log('grad max err', maxErr, Math.max(...Array.from(ref.gradient!, Math.abs)));
      expect(got.loss).toBeCloseTo(ref.loss, 4);
    });
  }
});

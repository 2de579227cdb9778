import { afterAll, describe, expect, it } from 'vitest';
import { COLUMN_WIDTH, planChunks } from '@dist-kd/kernel-wgsl';
import { createBackend } from '../src/index.js';
import { expectMatchesReference, logits } from './helpers.js';

const bounds = { maxWorkgroupsPerDimension: 65535, columnTile: 32, rowsPerGroup: 1 };

describe('planChunks', () => {
  it('keeps everything in one chunk when it fits', () => {
    const plan = planChunks(1024, 1000, { ...bounds, maxBindingBytes: 128 << 20 });
    expect(plan.chunks).toEqual([{ rowStart: 0, rows: 1024, isLast: true }]);
    // 32 invocations of COLUMN_WIDTH (4) columns per workgroup.
    expect(plan.columnGrid).toEqual({ x: 8, y: 1 });
  });

  it('splits by whole rows so that each chunk fits one binding', () => {
    const plan = planChunks(53, 40, { ...bounds, maxBindingBytes: 4096 });
    expect(plan.chunks.map((c) => c.rows)).toEqual([25, 25, 3]);
    expect(plan.chunks.map((c) => c.rowStart)).toEqual([0, 25, 50]);
    expect(plan.chunks.map((c) => c.isLast)).toEqual([false, false, true]);
  });

  it('caps a chunk at the dispatch limit and lays large grids out in two dimensions', () => {
    const plan = planChunks(200_000, 2, { ...bounds, maxBindingBytes: 1 << 30 });
    expect(plan.chunks.every((c) => c.rows <= 65535)).toBe(true);
    expect(plan.chunks.reduce((n, c) => n + c.rows, 0)).toBe(200_000);
    const wide = planChunks(2, 3_000_000, { ...bounds, maxBindingBytes: 1 << 30 });
    expect(wide.columnGrid.x).toBeLessThanOrEqual(65535);
    expect(wide.columnGrid.x * wide.columnGrid.y * 32 * COLUMN_WIDTH).toBeGreaterThanOrEqual(3_000_000);
  });

  it('refuses, with the numbers, a C whose column records cannot fit one binding', () => {
    expect(() => planChunks(2, 1000, { ...bounds, maxBindingBytes: 4096 })).toThrow(/C = 1000 classes is too many/);
  });
});

describe('inputs larger than a (forced small) storage binding are split, not refused', () => {
  const backend = createBackend({ maxStorageBindingBytes: 4096 });
  afterAll(() => backend.dispose());

  for (const [B, C] of [
    [53, 40],
    [100, 64],
    [7, 85],
  ] as const) {
    it(`[${B}, ${C}] in chunks of ${Math.floor(4096 / (C * 4))} rows`, async () => {
      const request = { student: logits(B * C, B), teacher: logits(B * C, C, 6), shape: [B, C] as const, gradient: true };
      expectMatchesReference(await backend.compute(request), request);
    });
  }
});

describe('determinism', () => {
  it('the same input gives the same bits', async () => {
    const backend = createBackend();
    const request = { student: logits(300 * 70, 3), teacher: logits(300 * 70, 4), shape: [300, 70] as const, gradient: true };
    const first = await backend.compute(request);
    const second = await backend.compute(request);
    expect(second.loss).toBe(first.loss);
    expect(Buffer.from((second.gradient as Float32Array).buffer).equals(Buffer.from((first.gradient as Float32Array).buffer))).toBe(true);
    await backend.dispose();
  });
});

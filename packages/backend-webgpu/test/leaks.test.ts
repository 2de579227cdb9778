/**
 * 2,000 calls each of compute and of a binding's compute: the JS heap does not grow (it grew by
 * about 7.5 KB per call while every readback raced a promise of device loss), and no GPU buffer is
 * created after the first call of a shape; dispose destroys every buffer the backend made.
 */
import { measureLeak } from '@dist-kd/conformance/leaks';
import { describe, expect, it } from 'vitest';
import { createBackend } from '../src/index.js';
import { logits, trackBuffers } from './helpers.js';

/** Below the 1,400 to 2,200 bytes of heap per call the leak retained; above the noise of a heap sampled after GC. */
const HEAP_BYTES_PER_CALL = 512;

describe('2,000 calls leak nothing', () => {
  it('compute and bound compute: heap slope, GPU buffers', async () => {
    const backend = createBackend();
    const device = await backend.device();
    const buffers = trackBuffers(device);
    const request = { student: logits(8 * 16, 1), teacher: logits(8 * 16, 2), shape: [8, 16] as const, gradient: true };
    const bound = await backend.bind(request);
    // The first calls make the buffers of the shape (the shared workspace, the readback buffers).
    await backend.compute(request);
    await bound.compute(true);
    await bound.readGradient();
    const createdByFirstCalls = buffers.created();

    const computes = await measureLeak(() => backend.compute(request));
    const boundCalls = await measureLeak(async (k: number) => {
      await bound.compute(k % 2 === 0);
      if (k % 2 === 0) await bound.readGradient();
    });
    console.info(
      `webgpu, 2,000 calls: compute ${computes.heapBytesPerCall.toFixed(1)} B/call heap, ${computes.rssBytesPerCall.toFixed(0)} B/call RSS; ` +
        `bound ${boundCalls.heapBytesPerCall.toFixed(1)} B/call heap, ${boundCalls.rssBytesPerCall.toFixed(0)} B/call RSS; ` +
        `${buffers.created()} GPU buffers created, ${buffers.live.size} live before dispose`,
    );
    expect(computes.heapBytesPerCall).toBeLessThan(HEAP_BYTES_PER_CALL);
    expect(boundCalls.heapBytesPerCall).toBeLessThan(HEAP_BYTES_PER_CALL);
    expect(buffers.created()).toBe(createdByFirstCalls);
    expect(buffers.live.size).toBe(buffers.created());
    await backend.dispose();
    expect(buffers.live.size).toBe(0);
    // About 16 s on an idle 2-core machine, 5,000 calls on SwiftShader; minutes when it is busy.
  }, 600_000);
});

import { describe, expect, it } from 'vitest';
import { createBackend } from '../src/index.js';
import { logits } from './helpers.js';

describe('pipelines and buffers are made once per shape', () => {
  it('repeated calls of one shape create no buffers, pipelines or bind groups', async () => {
    const backend = createBackend();
    const device = await backend.device();
    const request = { student: logits(120, 1), teacher: logits(120, 2), shape: [12, 10] as const, gradient: true };
    await backend.compute(request);
    await backend.compute({ ...request, gradient: false });

    const created = { buffers: 0, pipelines: 0, bindGroups: 0 };
    const count = <K extends 'createBuffer' | 'createComputePipelineAsync' | 'createBindGroup'>(
      method: K,
      key: keyof typeof created,
    ) => {
      const original = device[method].bind(device) as (...args: unknown[]) => unknown;
      (device as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        created[key]++;
        return original(...args);
      };
    };
    count('createBuffer', 'buffers');
    count('createComputePipelineAsync', 'pipelines');
    count('createBindGroup', 'bindGroups');

    for (let k = 0; k < 3; k++) {
      await backend.compute({ ...request, options: { tau: 1 + k } });
      await backend.compute({ ...request, gradient: false });
    }
    expect(created).toEqual({ buffers: 0, pipelines: 0, bindGroups: 0 });

    // A new shape makes its own buffers; the pipelines stay.
    await backend.compute({ student: logits(30, 3), teacher: logits(30, 4), shape: [5, 6], gradient: true });
    expect(created.buffers).toBeGreaterThan(0);
    expect(created.pipelines).toBe(0);
    await backend.dispose();
  });
});

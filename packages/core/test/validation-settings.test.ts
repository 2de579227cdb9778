import { describe, expect, it } from 'vitest';
import { allocateGradient, checkLogitValues, createReferenceBackend, DistInputError, logitLimit, validateRequest } from '../src/index.js';

const FLOAT32_MAX = 3.4028234663852886e38;

describe('logitLimit', () => {
  it('is the largest value of the precision, divided down when tau < 1 so that logits / tau stay finite', () => {
    expect(logitLimit('float32', 6)).toBe(FLOAT32_MAX);
    expect(logitLimit('float32', 0.5)).toBe(FLOAT32_MAX * 0.5);
    expect(logitLimit('float64', 2)).toBe(Number.MAX_VALUE);
  });
});

describe("validateRequest's deferred value check", () => {
  const request = (student: Float32Array) => ({ student, teacher: new Float32Array(4), shape: [2, 2] as [number, number] });

  it('does not read the values, but still checks shape and options', () => {
    const input = validateRequest(request(Float32Array.of(0, Number.NaN, 1, 2)), 'float32', { values: 'deferred' });
    expect(input.batch).toBe(2);
    expect(() => validateRequest({ ...request(new Float32Array(3)) }, 'float32', { values: 'deferred' })).toThrow(
      expect.objectContaining({ code: 'BAD_SHAPE' }),
    );
    expect(() => validateRequest({ ...request(new Float32Array(4)), options: { tau: 0 } }, 'float32', { values: 'deferred' })).toThrow(
      expect.objectContaining({ code: 'BAD_OPTION' }),
    );
  });

  it('checkLogitValues then says which logit was bad, as the checked mode does', () => {
    const bad = request(Float32Array.of(0, 1, Number.POSITIVE_INFINITY, 2));
    const input = validateRequest(bad, 'float32', { values: 'deferred' });
    let deferred: unknown;
    try {
      checkLogitValues(input, 'float32');
    } catch (error) {
      deferred = error;
    }
    expect(deferred).toBeInstanceOf(DistInputError);
    expect(deferred).toMatchObject({ code: 'NON_FINITE', message: expect.stringContaining('student[1, 0] is Infinity') });
    expect(() => validateRequest(bad, 'float32')).toThrow((deferred as Error).message);
  });

  it('checkLogitValues rejects a finite logit that overflows once divided by tau', () => {
    const input = validateRequest({ ...request(Float32Array.of(0, 1, 3e38, 2)), options: { tau: 0.5 } }, 'float32', { values: 'deferred' });
    expect(() => checkLogitValues(input, 'float32')).toThrow(/overflows once divided by tau = 0.5/);
  });
});

describe("the reference backend's bind", () => {
  const logits = (seed: number) => Float64Array.from({ length: 12 }, (_, k) => Math.sin(seed * 7 + k * 1.3) * 2);
  const binding = { student: logits(1), teacher: logits(2), shape: [3, 4] as [number, number] };

  it('gives what compute gives, call after call, and the gradient only after compute(true)', async () => {
    const backend = createReferenceBackend();
    const expected = await backend.compute({ ...binding, gradient: true });
    const bound = await backend.bind!(binding);
    for (let call = 0; call < 2; call++) {
      expect(await bound.compute(true)).toEqual({ loss: expected.loss, inter: expected.inter, intra: expected.intra });
      expect(await bound.readGradient()).toEqual(expected.gradient);
    }
    await bound.compute(false);
    await expect(bound.readGradient()).rejects.toThrow(/compute\(true\)/);
    await bound.dispose();
    await expect(bound.compute(true)).rejects.toMatchObject({ name: 'DistUsageError', code: 'BINDING_DISPOSED' });
  });

  it('validates the logits at bind', async () => {
    const student = Float64Array.from(binding.student);
    student[5] = Number.NaN;
    await expect(createReferenceBackend().bind!({ ...binding, student })).rejects.toMatchObject({ code: 'NON_FINITE' });
  });
});

describe('allocateGradient', () => {
  const input = (batch: number, classes: number, type: 'float32' | 'float64') =>
    validateRequest(
      { student: type === 'float32' ? new Float32Array(batch * classes) : new Float64Array(batch * classes), teacher: type === 'float32' ? new Float32Array(batch * classes) : new Float64Array(batch * classes), shape: [batch, classes] },
      type,
      { values: 'deferred' },
    );

  it('gives a zeroed array of the logits type and the batch size', () => {
    for (const type of ['float32', 'float64'] as const) {
      const gradient = allocateGradient(input(300, 1000, type));
      expect(gradient).toBeInstanceOf(type === 'float32' ? Float32Array : Float64Array);
      expect(gradient.length).toBe(300_000);
      expect(gradient.every((value) => value === 0)).toBe(true);
    }
  });

  it("gives an array of its own, of the same type and length, when the caller overwrites every element ('overwritten')", () => {
    for (const type of ['float32', 'float64'] as const) {
      for (const [batch, classes] of [[2, 3], [300, 1000]] as const) {
        const gradient = allocateGradient(input(batch, classes, type), 'overwritten');
        expect(gradient).toBeInstanceOf(type === 'float32' ? Float32Array : Float64Array);
        expect(gradient.length).toBe(batch * classes);
        // Its own memory: not a view into a pool that other arrays share.
        expect(gradient.byteOffset).toBe(0);
        expect(gradient.buffer.byteLength).toBe(gradient.byteLength);
      }
    }
  });
});

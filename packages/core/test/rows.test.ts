import { describe, expect, it } from 'vitest';
import {
  DistInputError,
  createReferenceBackend,
  maskFromLabels,
  referenceDist,
  resolveOptions,
  termWeights,
  type DistRequest,
} from '../src/index.js';

const logits = (length: number, phase: number) => Float64Array.from({ length }, (_, k) => 3 * Math.sin(1.7 * k + phase));

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return (error as DistInputError).code;
  }
  return undefined;
}

describe('row masks', () => {
  const [B, C] = [6, 5];
  const student = logits(B * C, 0);
  const teacher = logits(B * C, 0.4);
  const mask = [1, 0, 1, 1, 0, 1];
  const keptRows = [0, 2, 3, 5];
  const sub = (x: Float64Array) => Float64Array.from(keptRows.flatMap((i) => [...x.subarray(i * C, (i + 1) * C)]));

  it('equals the kept sub-batch, with zero gradient on ignored rows', () => {
    const masked = referenceDist({ student, teacher, shape: [B, C], mask, gradient: true });
    const kept = referenceDist({ student: sub(student), teacher: sub(teacher), shape: [keptRows.length, C], gradient: true });
    expect(masked.loss).toBe(kept.loss);
    expect(masked.inter).toBe(kept.inter);
    expect(masked.intra).toBe(kept.intra);
    expect(masked.gradient).toBeInstanceOf(Float64Array);
    keptRows.forEach((i, r) => expect([...masked.gradient!.subarray(i * C, (i + 1) * C)]).toEqual([...kept.gradient!.subarray(r * C, (r + 1) * C)]));
    for (const i of [1, 4]) expect([...masked.gradient!.subarray(i * C, (i + 1) * C)]).toEqual(new Array(C).fill(0));
  });

  it('gives 0 and a zero gradient, not NaN, when no row is kept; the B = 1 rule for one row', () => {
    const none = referenceDist({ student, teacher, shape: [B, C], mask: new Uint8Array(B), gradient: true });
    expect([none.loss, none.inter, none.intra]).toEqual([0, 0, 0]);
    expect(none.gradient!.every((g) => g === 0)).toBe(true);
    const one = referenceDist({ student, teacher, shape: [B, C], mask: [0, 0, 1, 0, 0, 0] });
    expect(one.intra).toBeCloseTo(1, 12);
  });

  it('rejects masks that are not one 0 or 1 per row', () => {
    const request = (m: unknown): DistRequest => ({ student, teacher, shape: [B, C], mask: m as number[] });
    expect(codeOf(() => referenceDist(request([1, 0, 1])))).toBe('BAD_MASK');
    expect(codeOf(() => referenceDist(request([1, 0, 1, 1, 0.5, 1])))).toBe('BAD_MASK');
    expect(codeOf(() => referenceDist(request([1, 0, 1, 1, NaN, 1])))).toBe('BAD_MASK');
    expect(codeOf(() => referenceDist(request('101101')))).toBe('BAD_MASK');
  });

  it('masks nested rows too, and leaves ignored rows unread', () => {
    const rows = Array.from({ length: B }, (_, i) => [...student.subarray(i * C, (i + 1) * C)]);
    rows[1] = rows[1].map(() => NaN);
    const teacherRows = Array.from({ length: B }, (_, i) => [...teacher.subarray(i * C, (i + 1) * C)]);
    const masked = referenceDist({ student: rows, teacher: teacherRows, mask, gradient: true });
    const kept = referenceDist({ student: sub(student), teacher: sub(teacher), shape: [keptRows.length, C] });
    expect(masked.loss).toBe(kept.loss);
  });

  it('makes a mask from labels with an ignore index (255 by default)', () => {
    expect([...maskFromLabels([3, 255, 0, 255])]).toEqual([1, 0, 1, 0]);
    expect([...maskFromLabels([3, -100, 0], -100)]).toEqual([1, 0, 1]);
  });
});

describe('dense layouts', () => {
  const [N, C, H, W] = [2, 3, 2, 4];
  const nchw = logits(N * C * H * W, 0);
  const nchwT = logits(N * C * H * W, 0.9);
  // The same logits as rows (n, h, w) of C classes, and in NHWC.
  const toRows = (x: Float64Array) => {
    const out = new Float64Array(x.length);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++)
        for (let p = 0; p < H * W; p++) out[(n * H * W + p) * C + c] = x[(n * C + c) * H * W + p];
    return out;
  };
  const pixelMask = Array.from({ length: N * H * W }, (_, k) => (k % 3 === 1 ? 0 : 1));

  it('NCHW and NHWC equal their rows, the gradient in the input layout', () => {
    const rows = referenceDist({ student: toRows(nchw), teacher: toRows(nchwT), shape: [N * H * W, C], mask: pixelMask, gradient: true });
    const dense = referenceDist({ student: nchw, teacher: nchwT, shape: [N, C, H, W], layout: 'nchw', mask: pixelMask, gradient: true });
    const nhwc = referenceDist({ student: toRows(nchw), teacher: toRows(nchwT), shape: [N, H, W, C], layout: 'nhwc', mask: pixelMask, gradient: true });
    expect(dense.loss).toBe(rows.loss);
    expect(nhwc.loss).toBe(rows.loss);
    expect([...toRows(dense.gradient as Float64Array)]).toEqual([...rows.gradient!]);
    expect([...nhwc.gradient!]).toEqual([...rows.gradient!]);
  });

  it('rejects a 4-D shape without a layout, a wrong length and a pixel mask of the wrong size', () => {
    expect(codeOf(() => referenceDist({ student: nchw, teacher: nchwT, shape: [N, C, H, W] as never }))).toBe('BAD_SHAPE');
    expect(codeOf(() => referenceDist({ student: nchw, teacher: nchwT, shape: [N, C, H, W + 1], layout: 'nchw' }))).toBe('BAD_SHAPE');
    expect(codeOf(() => referenceDist({ student: nchw, teacher: nchwT, shape: [N, C, H, W], layout: 'nchw', mask: [1] }))).toBe('BAD_MASK');
    expect(codeOf(() => referenceDist({ student: nchw, teacher: nchwT, shape: [N, C, H, W], layout: 'nwhc' as never }))).toBe('BAD_SHAPE');
  });
});

describe('sigmoid activation', () => {
  const [B, C] = [4, 6];
  const student = logits(B * C, 0.2);
  const teacher = logits(B * C, 1.1);
  const options = { activation: 'sigmoid' as const, tau: 2, beta: 1, gamma: 1.5 };

  it('has the gradient of its loss (central differences)', () => {
    const { gradient } = referenceDist({ student, teacher, shape: [B, C], options, gradient: true });
    const h = 1e-5;
    for (let k = 0; k < B * C; k++) {
      const at = (delta: number) => {
        const s = student.slice();
        s[k] += delta;
        return referenceDist({ student: s, teacher, shape: [B, C], options }).loss;
      };
      expect(Math.abs((at(h) - at(-h)) / (2 * h) - gradient![k])).toBeLessThan(1e-7);
    }
  });

  it('correlates sigmoid(z / tau), not the softmax', () => {
    const softmax = referenceDist({ student, teacher, shape: [B, C], options: { ...options, activation: 'softmax' } });
    const sigmoid = referenceDist({ student, teacher, shape: [B, C], options });
    expect(sigmoid.loss).not.toBeCloseTo(softmax.loss, 3);
    // A shift of a row's logits changes the sigmoid but not the softmax.
    const shifted = student.map((v, k) => (k < C ? v + 1 : v));
    expect(referenceDist({ student: shifted, teacher, shape: [B, C], options }).loss).not.toBeCloseTo(sigmoid.loss, 6);
  });
});

describe('the tau^2 convention', () => {
  it('scales both terms by tau^2 by default and not with tauSquared: false', () => {
    expect(termWeights(resolveOptions({ beta: 2, gamma: 3, tau: 4 }))).toEqual({ inter: 32, intra: 48 });
    expect(termWeights(resolveOptions({ beta: 2, gamma: 3, tau: 4, tauSquared: false }))).toEqual({ inter: 2, intra: 3 });
    const request = { student: logits(12, 0), teacher: logits(12, 1), shape: [3, 4] as const, gradient: true };
    const scaled = referenceDist({ ...request, options: { tau: 4 } });
    const unscaled = referenceDist({ ...request, options: { tau: 4, tauSquared: false } });
    expect(unscaled.inter).toBe(scaled.inter);
    expect(unscaled.loss).toBeCloseTo(scaled.loss / 16, 12);
    unscaled.gradient!.forEach((g, k) => expect(g).toBeCloseTo(scaled.gradient![k] / 16, 14));
  });

  it('rejects a tauSquared or activation that is not one of the choices', () => {
    expect(codeOf(() => resolveOptions({ tauSquared: 1 as never }))).toBe('BAD_OPTION');
    expect(codeOf(() => resolveOptions({ activation: 'relu' as never }))).toBe('BAD_OPTION');
  });
});

describe('withRowSelection on a backend', () => {
  it('binds masked logits, and an all-ignored binding gives zeros with the usual lifecycle', async () => {
    const backend = createReferenceBackend();
    const [B, C] = [5, 4];
    const student = logits(B * C, 0);
    const teacher = logits(B * C, 1);
    const mask = [1, 1, 0, 1, 0];
    const direct = await backend.compute({ student, teacher, shape: [B, C], mask, gradient: true });
    const bound = await backend.bind!({ student, teacher, shape: [B, C], mask });
    expect((await bound.compute(true)).loss).toBe(direct.loss);
    expect([...(await bound.readGradient())]).toEqual([...direct.gradient!]);
    const empty = await backend.bind!({ student, teacher, shape: [B, C], mask: new Uint8Array(B) });
    await expect(empty.readGradient()).rejects.toMatchObject({ code: 'GRADIENT_NOT_READY' });
    expect(await empty.compute(true)).toEqual({ loss: 0, inter: 0, intra: 0 });
    expect((await empty.readGradient()).every((g) => g === 0)).toBe(true);
    await backend.dispose();
    await expect(backend.compute({ student, teacher, shape: [B, C], mask: new Uint8Array(B) })).rejects.toMatchObject({ code: 'BACKEND_DISPOSED' });
  });

  it('a backend that was not wrapped refuses masks rather than ignoring them', async () => {
    const { validateRequest } = await import('../src/index.js');
    expect(codeOf(() => validateRequest({ student: logits(4, 0), teacher: logits(4, 1), shape: [2, 2], mask: [1, 0] }))).toBe('UNSUPPORTED_FEATURE');
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DistInputError, referenceDist, type EpsMode } from '../src/index.js';

interface GoldenCase {
  name: string;
  B: number;
  C: number;
  beta: number;
  gamma: number;
  tau: number;
  eps: number;
  eps_mode?: EpsMode;
  logits_s: number[];
  logits_t: number[];
  loss: number;
  inter: number;
  intra: number;
  grad_s: number[];
}

const samplePath = fileURLToPath(new URL('./fixtures/golden-sample.json', import.meta.url));
const sample = JSON.parse(readFileSync(samplePath, 'utf8')) as { cases: GoldenCase[] };

describe('referenceDist against the PyTorch golden sample', () => {
  for (const c of sample.cases) {
    it(c.name, () => {
      const result = referenceDist({
        student: Float64Array.from(c.logits_s),
        teacher: Float64Array.from(c.logits_t),
        shape: [c.B, c.C],
        options: { beta: c.beta, gamma: c.gamma, tau: c.tau, eps: c.eps, epsMode: c.eps_mode ?? 'design-note' },
        gradient: true,
      });
      expect(result.loss).toBeCloseTo(c.loss, 10);
      expect(result.inter).toBeCloseTo(c.inter, 12);
      expect(result.intra).toBeCloseTo(c.intra, 12);
      const scale = Math.max(...c.grad_s.map(Math.abs));
      c.grad_s.forEach((g, k) => expect(Math.abs(result.gradient![k] - g)).toBeLessThan(1e-10 * scale + 1e-14));
    });
  }
});

describe('referenceDist semantics', () => {
  const rows = [
    [1, 2, 3],
    [0.5, -1, 2],
  ];
  it('matches a hand computation for B = 1 (intra is exactly 1)', () => {
    const r = referenceDist({ student: [[1, 2, 3]], teacher: [[3, 2, 1]], options: { tau: 1 } });
    expect(r.intra).toBe(1);
    // 1 - corr(softmax([1,2,3]), softmax([3,2,1])), computed independently in Python.
    expect(r.inter).toBeCloseTo(1.8670926087215842, 12);
  });
  it('returns the gradient in the student array type', () => {
    const f32 = referenceDist({ student: new Float32Array(6), teacher: new Float32Array(6).fill(1), shape: [2, 3], gradient: true });
    expect(f32.gradient).toBeInstanceOf(Float32Array);
    const nested = referenceDist({ student: rows, teacher: rows, gradient: true });
    expect(nested.gradient).toBeInstanceOf(Float64Array);
  });
  it('gives a finite gradient in official mode with a zero-variance student column', () => {
    const r = referenceDist({ student: [[1, 2, 3]], teacher: [[3, 1, 2]], options: { epsMode: 'official' }, gradient: true });
    expect(Array.from(r.gradient!).every(Number.isFinite)).toBe(true);
  });
  it('rejects eps = 0 with a zero-variance vector instead of returning NaN', () => {
    expect(() => referenceDist({ student: [[1, 1, 1]], teacher: [[1, 2, 3]], options: { eps: 0 } })).toThrowError(
      expect.objectContaining({ code: 'DEGENERATE' }),
    );
  });
  it('rejects bad input with typed errors', () => {
    const bad = (request: Parameters<typeof referenceDist>[0], code: string) => {
      try {
        referenceDist(request);
      } catch (error) {
        expect(error).toBeInstanceOf(DistInputError);
        expect((error as DistInputError).code).toBe(code);
        return;
      }
      throw new Error(`expected ${code}`);
    };
    bad({ student: rows, teacher: [[1, 2, 3]] }, 'SHAPE_MISMATCH');
    bad({ student: new Float32Array(5), teacher: new Float32Array(5), shape: [2, 3] }, 'BAD_SHAPE');
    bad({ student: new Float32Array(6), teacher: new Float32Array(6) }, 'BAD_SHAPE');
    bad({ student: [], teacher: [] }, 'EMPTY');
    bad({ student: [[1, NaN]], teacher: [[1, 2]] }, 'NON_FINITE');
    bad({ student: [[1, 2]], teacher: [[Infinity, 2]] }, 'NON_FINITE');
    bad({ student: rows, teacher: rows, options: { tau: 0 } }, 'BAD_OPTION');
    bad({ student: rows, teacher: rows, options: { eps: -1 } }, 'BAD_OPTION');
    bad({ student: rows, teacher: rows, options: { beta: NaN } }, 'BAD_OPTION');
    bad({ student: rows, teacher: rows, options: { temperature: 4 } as never }, 'BAD_OPTION');
    bad({ student: rows, teacher: rows, options: { epsMode: 'torchdistill' as never } }, 'BAD_OPTION');
    bad({ student: 'logits' as never, teacher: rows }, 'BAD_INPUT_TYPE');
    bad({ student: [[1, 2], [3]], teacher: rows }, 'BAD_SHAPE');
    bad({ student: [[1e308, 2]], teacher: [[1, 2]], options: { tau: 1e-10 } }, 'NON_FINITE');
  });
});

describe('validation of logit values', () => {
  it('finds a non-finite value anywhere, in either input and either array type', () => {
    for (const Type of [Float32Array, Float64Array]) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        for (const position of [0, 1, 2, 3, 4, 5, 6]) {
          const student = new Type(7).fill(0.5);
          const teacher = new Type(7).fill(0.25);
          (position % 2 ? student : teacher)[position] = bad;
          expect(() => referenceDist({ student, teacher, shape: [1, 7] })).toThrowError(
            expect.objectContaining({ code: 'NON_FINITE', message: expect.stringContaining(`[0, ${position}]`) }),
          );
        }
      }
    }
  });
});

/**
 * Edge cases the design note's arithmetic and the library's conventions decide, checked against the
 * float64 reference: eps = 0, the official placement's zero-variance limit, a single class.
 */
import { resolveOptions, type DistBackend } from '@dist-kd/core';
import type { ConformanceCheck } from '../check.js';
import { expectArrayClose, expectClose } from '../compare.js';
import { BASE_PROBLEMS, expectReferenceResult, makeProblem, solve, toleranceOf, withLogits, type Problem } from '../problems.js';
import { termTolerance } from '../tolerance.js';

export function edgeCaseChecks(): ConformanceCheck[] {
  return [epsZeroCheck(), ...officialLimitChecks(), singleClassCheck()];
}

/** eps = 0 is allowed while no vector has zero variance. */
function epsZeroCheck(): ConformanceCheck {
  const base = BASE_PROBLEMS[0];
  const problem = { ...base, label: `${base.label}, eps=0`, options: resolveOptions({ ...base.options, eps: 0 }) };
  return {
    name: `property/eps-zero [${base.label}]`,
    run: async (backend) => {
      await expectReference(backend, problem);
    },
  };
}

/**
 * Official eps placement with zero-variance vectors: PyTorch's autograd gives NaN there (sqrt'(0));
 * the library defines the term r * (b/a) * xc / D as its limit 0, so the gradient is finite and
 * equals the reference's.
 */
function officialLimitChecks(): ConformanceCheck[] {
  const options = { epsMode: 'official', beta: 1, gamma: 1, tau: 1 } as const;
  const singleRow = makeProblem('1x8 official', [1, 8], 31, options);
  const base = makeProblem('4x6 official', [4, 6], 32, options);
  const constantRow = Float64Array.from(base.student, (v, k) => (k < base.shape[1] ? 1.5 : v));
  const withConstantRow = withLogits(base, '4x6 official, constant student row', constantRow);
  return [
    {
      name: 'property/official-single-row [1x8 official]',
      run: async (backend) => {
        const result = await expectReference(backend, singleRow);
        const slack = termTolerance(toleranceOf(singleRow, backend.precision).loss, singleRow.options, 'intra');
        expectClose('intra with B = 1 (every column has one element)', result.intra, 1, slack);
      },
    },
    {
      name: 'property/official-constant-row [4x6 official]',
      run: async (backend) => {
        await expectReference(backend, withConstantRow);
      },
    },
  ];
}

/** C = 1: p = q = 1, every correlation is 0, so loss = (beta + gamma) * tau^2 and the gradient is 0. */
function singleClassCheck(): ConformanceCheck {
  const problem = makeProblem('6x1', [6, 1], 41, { beta: 1.5, gamma: 0.5, tau: 3 });
  return {
    name: 'property/single-class [6x1]',
    run: async (backend) => {
      const result = await solve(backend, problem);
      const tolerance = toleranceOf(problem, backend.precision);
      expectClose('loss with C = 1', result.loss, (1.5 + 0.5) * 9, tolerance.loss);
      expectArrayClose('gradient with C = 1', result.gradient, new Float64Array(6), tolerance.gradient, 1);
    },
  };
}

async function expectReference(backend: DistBackend, problem: Problem) {
  const result = await solve(backend, problem);
  expectReferenceResult(problem.label, result, problem, backend.precision);
  return result;
}

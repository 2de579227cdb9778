/**
 * SPEC "Extensions": row masks, dense layouts, the sigmoid activation and the tau^2 convention. A
 * feature the backend offers must conform; one it does not offer must be refused with
 * UNSUPPORTED_FEATURE naming it, never computed as something else.
 */
import type { DistBackend, DistRequest, DenseShape } from '@dist-kd/core';
import { computeChecked, computeWithGradient, expectInputError, expectInputErrorFrom } from '../backend-calls.js';
import { fail, type ConformanceCheck } from '../check.js';
import { expectArrayClose, expectClose } from '../compare.js';
import { offers, type BackendFeatures, type ManifestFeature } from '../features.js';
import { expectReferenceResult, makeProblem, requestFor, solve, toleranceOf, withLogits, type Problem } from '../problems.js';
import { expectZeroOnIgnoredRows } from './golden-checks.js';
import { finiteDifferenceCheck } from './finite-differences.js';

const MASK = [1, 0, 1, 1, 0, 1, 1, 0];
const masked = { ...makeProblem('8x6 tau=2, rows 1, 4, 7 ignored', [8, 6], 21, { beta: 1, gamma: 1, tau: 2 }), mask: MASK };
const sigmoidProblem = makeProblem('6x5 sigmoid tau=2', [6, 5], 23, { activation: 'sigmoid', beta: 1, gamma: 2, tau: 2 });

export function rowChecks(declared: BackendFeatures = {}): ConformanceCheck[] {
  const when = (feature: ManifestFeature, name: string, run: (backend: DistBackend) => Promise<void>, refusal: DistRequest): ConformanceCheck => ({
    name: `feature/${feature}/${name}`,
    run: async (backend) => {
      if (offers(backend, feature, declared)) return run(backend);
      // Not offered: the typed refusal is what conforms.
      await expectInputError(backend, refusal, 'UNSUPPORTED_FEATURE');
    },
  });
  const maskedRequest = (backend: DistBackend) => ({ ...requestFor(backend.precision, masked), gradient: true });
  return [
    when('masks', 'equals-the-kept-rows', async (backend) => {
      const result = await computeWithGradient(backend, maskedRequest(backend));
      expectReferenceResult('masked call', result, masked, backend.precision);
      expectZeroOnIgnoredRows(result.gradient, maskedRequest(backend));
      // The same backend on the kept rows alone: the same numbers, row for row.
      const kept = keptRows(masked);
      const sub = await solve(backend, kept);
      const tolerance = toleranceOf(kept, backend.precision);
      expectClose('loss against the kept sub-batch', result.loss, sub.loss, 2 * tolerance.loss);
      const C = masked.shape[1];
      const keptGradient = MASK.flatMap((keep, i) => (keep ? [...result.gradient.subarray(i * C, (i + 1) * C)] : []));
      expectArrayClose('gradient against the kept sub-batch', keptGradient, sub.gradient, 2 * tolerance.gradient, C);
    }, { ...requestFor('float32', masked) }),
    when('masks', 'no-kept-row-gives-zero', async (backend) => {
      const request = { ...maskedRequest(backend), mask: new Array(MASK.length).fill(0) };
      const result = await computeWithGradient(backend, request);
      if (result.loss !== 0 || result.inter !== 0 || result.intra !== 0) {
        fail(`loss, inter, intra = ${result.loss}, ${result.inter}, ${result.intra} with no kept row; expected 0, 0, 0`);
      }
      const nonzero = result.gradient.findIndex((g) => g !== 0);
      if (nonzero >= 0) fail(`gradient[${nonzero}] = ${result.gradient[nonzero]} with no kept row; expected all 0`);
    }, { ...requestFor('float32', masked), mask: new Array(MASK.length).fill(0) }),
    when('masks', 'bad-mask-rejected', async (backend) => {
      const request = requestFor(backend.precision, masked);
      await expectInputError(backend, { ...request, mask: MASK.slice(1) }, 'BAD_MASK');
      await expectInputError(backend, { ...request, mask: MASK.map((v) => v * 0.5) }, 'BAD_MASK');
      await expectInputError(backend, { ...request, mask: MASK.map((v) => (v ? 1 : NaN)) }, 'BAD_MASK');
    }, { ...requestFor('float32', masked) }),
    ...(['nchw', 'nhwc'] as const).map((layout) =>
      when('dense', `${layout}-equals-its-rows`, async (backend) => {
        const problem = denseProblem(layout);
        const request = { ...requestFor(backend.precision, problem), gradient: true };
        const result = await computeWithGradient(backend, request);
        expectReferenceResult(`${layout} call`, result, problem, backend.precision);
        expectZeroOnIgnoredRows(result.gradient, request);
      }, requestFor('float32', denseProblem(layout))),
    ),
    ...(declared.bind || declared.bind === undefined
      ? [
          when('masks', 'bound-masked-logits', async (backend) => {
            if (typeof backend.bind !== 'function') return;
            const { gradient: _, ...binding } = maskedRequest(backend);
            const bound = await backend.bind(binding);
            try {
              const terms = await bound.compute(true);
              const gradient = await bound.readGradient();
              expectReferenceResult('bound masked logits', { ...terms, gradient }, masked, backend.precision);
              expectZeroOnIgnoredRows(gradient, maskedRequest(backend));
            } finally {
              await bound.dispose();
            }
          }, { ...requestFor('float32', masked) }),
        ]
      : []),
    when('sigmoid', 'matches-the-reference', async (backend) => {
      expectReferenceResult('sigmoid call', await solve(backend, sigmoidProblem), sigmoidProblem, backend.precision);
    }, requestFor('float32', sigmoidProblem)),
    sigmoidOnly(finiteDifferenceCheck(sigmoidProblem), declared),
    {
      name: 'property/tau-squared-off-divides-the-loss-by-tau^2',
      run: async (backend) => {
        const base = makeProblem('4x9 tau=3', [4, 9], 25, { tau: 3, beta: 1, gamma: 1 });
        const appendix = { ...base, options: { ...base.options, tauSquared: false } };
        const result = await computeChecked(backend, { ...requestFor(backend.precision, appendix), gradient: true });
        expectReferenceResult('tauSquared: false', result, appendix, backend.precision);
      },
    },
    {
      name: 'bad-input/BAD_OPTION/tau-squared-not-boolean',
      run: async (backend) => {
        const request = requestFor(backend.precision, masked);
        await expectInputErrorFrom('compute', () => backend.compute({ ...request, mask: undefined, options: { tauSquared: 'yes' as never } }), 'BAD_OPTION');
      },
    },
  ];
}

/** The finite-difference check of the sigmoid problem, or its refusal when sigmoid is not offered. */
function sigmoidOnly(check: ConformanceCheck, declared: BackendFeatures): ConformanceCheck {
  return {
    name: 'feature/sigmoid/gradient-vs-finite-differences',
    run: async (backend, context) => {
      if (offers(backend, 'sigmoid', declared)) return check.run(backend, context);
      await expectInputError(backend, requestFor('float32', sigmoidProblem), 'UNSUPPORTED_FEATURE');
    },
  };
}

function keptRows(problem: Problem): Problem {
  const [, C] = problem.shape;
  const pick = (x: Float64Array) => Float64Array.from(problem.mask!.flatMap((keep, i) => (keep ? [...x.subarray(i * C, (i + 1) * C)] : [])));
  const kept = problem.mask!.reduce((n, k) => n + k, 0);
  return { ...withLogits(problem, `${problem.label}, kept rows`, pick(problem.student), pick(problem.teacher)), shape: [kept, C], mask: undefined };
}

/** [2, 4, 3, 2] dense logits in `layout` with a pixel mask ignoring every third pixel. */
function denseProblem(layout: 'nchw' | 'nhwc'): Problem {
  const [N, C, H, W] = [2, 4, 3, 2];
  const base = makeProblem(`${layout} [N, C, H, W] = [2, 4, 3, 2]`, [N * H * W, C], 27, { tau: 2, beta: 1, gamma: 1 });
  const shape: DenseShape = layout === 'nchw' ? [N, C, H, W] : [N, H, W, C];
  const mask = Array.from({ length: N * H * W }, (_, k) => (k % 3 === 2 ? 0 : 1));
  return { ...base, shape, layout, mask };
}

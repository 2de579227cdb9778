/** One check per golden case: loss, inter, intra and the student gradient against PyTorch float64. */
import { resolveOptions, selectRows, type DistOptions, type DistRequest, type Precision } from '@dist-kd/core';
import { computeWithGradient, expectInputError, typedFor } from '../backend-calls.js';
import { fail, type ConformanceCheck } from '../check.js';
import { expectArrayClose, expectClose } from '../compare.js';
import type { GoldenCase, GoldenFile } from '../golden.js';
import { goldenLabel } from '../golden-files.js';
import { offers, type BackendFeatures } from '../features.js';
import { forPrecision, modelTolerance, termTolerance, type Tolerance } from '../tolerance.js';

export function goldenChecks(files: readonly GoldenFile[], declared: BackendFeatures = {}): ConformanceCheck[] {
  return files.flatMap((file) =>
    file.cases.map((c) => ({
      name: `golden/${goldenLabel(file)}/${c.name}`,
      run: async (backend) => {
        if (c.unimplemented) {
          fail(
            `refused: the case has field${c.unimplemented.length > 1 ? 's' : ''} ${c.unimplemented.map((f) => `"${f}"`).join(', ')} ` +
              'that this reader does not implement; it is not computed without them (update @dist-kd/conformance)',
          );
        }
        const options = caseOptions(c);
        const request = caseRequest(c, backend.precision, options);
        const feature = c.activation === 'sigmoid' ? 'sigmoid' : undefined;
        if (feature && !offers(backend, feature, declared)) {
          // A backend that does not offer the feature must say so with the typed error.
          await expectInputError(backend, { ...request, gradient: true }, 'UNSUPPORTED_FEATURE');
          return;
        }
        const tolerance = caseTolerance(c, options, backend.precision);
        const result = await computeWithGradient(backend, request);
        expectClose('loss', result.loss, c.loss, tolerance.loss);
        expectClose('inter', result.inter, c.inter, termTolerance(tolerance.loss, options, 'inter'));
        expectClose('intra', result.intra, c.intra, termTolerance(tolerance.loss, options, 'intra'));
        expectArrayClose('gradient', result.gradient, c.grad_s, tolerance.gradient, c.C);
        if (c.mask) expectZeroOnIgnoredRows(result.gradient, request);
      },
    })),
  );
}

export function caseOptions(c: GoldenCase): DistOptions {
  return resolveOptions({
    beta: c.beta,
    gamma: c.gamma,
    tau: c.tau,
    eps: c.eps,
    epsMode: c.eps_mode ?? 'design-note',
    activation: c.activation ?? 'softmax',
    tauSquared: c.tau_squared ?? true,
  });
}

/** The case as a request: its logits in the backend's precision, with its mask and layout. */
function caseRequest(c: GoldenCase, precision: Precision, options: DistOptions): DistRequest {
  const dense = c.layout === 'nchw' || c.layout === 'nhwc';
  return {
    student: typedFor(precision, c.logits_s),
    teacher: typedFor(precision, c.logits_t),
    shape: dense ? c.shape! : [c.B, c.C],
    ...(dense ? { layout: c.layout } : {}),
    ...(c.mask ? { mask: c.mask } : {}),
    options,
  };
}

/** The case's own `tol` when it has one, else the model's; tightened for float64 backends. */
export function caseTolerance(c: GoldenCase, options: DistOptions, precision: Precision): Tolerance {
  const input = { student: c.logits_s, teacher: c.logits_t, shape: c.shape ?? [c.B, c.C], layout: c.layout, mask: c.mask, options } as const;
  const float32 = c.tol ? { loss: c.tol.loss_atol, gradient: c.tol.grad_atol } : modelTolerance(input);
  return forPrecision(float32, precision, input);
}

/** SPEC "Row masks": the gradient is exactly 0 on ignored rows, not merely within tolerance. */
export function expectZeroOnIgnoredRows(gradient: ArrayLike<number>, request: DistRequest): void {
  // Core's own scatter of a gradient of ones marks where the kept rows' elements are.
  const selection = selectRows(request, 'float64')!;
  const kept = selection.restoreGradient(new Float64Array(selection.rows ? gradient.length : 0).fill(1));
  for (let k = 0; k < gradient.length; k++) {
    if (kept[k] === 0 && gradient[k] !== 0) {
      fail(`gradient element ${k} = ${gradient[k]} belongs to an ignored row; it must be exactly 0`);
    }
  }
}

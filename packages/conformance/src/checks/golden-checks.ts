/** One check per golden case: loss, inter, intra and the student gradient against PyTorch float64. */
import { resolveOptions, type DistOptions, type Precision } from '@dist-kd/core';
import { computeWithGradient, typedFor } from '../backend-calls.js';
import type { ConformanceCheck } from '../check.js';
import { expectArrayClose, expectClose } from '../compare.js';
import type { GoldenCase, GoldenFile } from '../golden.js';
import { goldenLabel } from '../golden-files.js';
import { forPrecision, modelTolerance, termTolerance, type Tolerance } from '../tolerance.js';

export function goldenChecks(files: readonly GoldenFile[]): ConformanceCheck[] {
  return files.flatMap((file) =>
    file.cases.map((c) => ({
      name: `golden/${goldenLabel(file)}/${c.name}`,
      run: async (backend) => {
        const options = caseOptions(c);
        const tolerance = caseTolerance(c, options, backend.precision);
        const result = await computeWithGradient(backend, {
          student: typedFor(backend.precision, c.logits_s),
          teacher: typedFor(backend.precision, c.logits_t),
          shape: [c.B, c.C],
          options,
        });
        expectClose('loss', result.loss, c.loss, tolerance.loss);
        expectClose('inter', result.inter, c.inter, termTolerance(tolerance.loss, options, 'inter'));
        expectClose('intra', result.intra, c.intra, termTolerance(tolerance.loss, options, 'intra'));
        expectArrayClose('gradient', result.gradient, c.grad_s, tolerance.gradient, c.C);
      },
    })),
  );
}

export function caseOptions(c: GoldenCase): DistOptions {
  return resolveOptions({ beta: c.beta, gamma: c.gamma, tau: c.tau, eps: c.eps, epsMode: c.eps_mode ?? 'design-note' });
}

/** The case's own `tol` when it has one, else the model's; tightened for float64 backends. */
export function caseTolerance(c: GoldenCase, options: DistOptions, precision: Precision): Tolerance {
  const float32 = c.tol
    ? { loss: c.tol.loss_atol, gradient: c.tol.grad_atol }
    : modelTolerance({ student: c.logits_s, teacher: c.logits_t, shape: [c.B, c.C], options });
  return forPrecision(float32, precision);
}

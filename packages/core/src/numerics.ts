/**
 * The definitions every backend's arithmetic follows, written once (SPEC.md): where eps goes in a
 * correlation's denominator, and how the two relation terms make the loss. Kernels take these as
 * parameters rather than deciding them again.
 */
import type { DistOptions } from './options.js';

/**
 * eps in corr = Sxy / (sqrt(Sxx + epsInside) * sqrt(Syy + epsInside) + eps): the design note puts
 * eps inside the square roots as well, the official code (`epsMode: 'official'`) only outside.
 */
export function epsPlacement(options: Pick<DistOptions, 'eps' | 'epsMode'>): { eps: number; epsInside: number } {
  return { eps: options.eps, epsInside: options.epsMode === 'design-note' ? options.eps : 0 };
}

/**
 * What multiplies each unscaled mean in the loss: beta * tau^2 for inter, gamma * tau^2 for intra,
 * or beta and gamma alone with `tauSquared: false` (the paper's appendix; see `DistOptions.tauSquared`).
 * Every backend's loss and gradient scale come from here.
 */
export function termWeights(options: Pick<DistOptions, 'beta' | 'gamma' | 'tau' | 'tauSquared'>): { inter: number; intra: number } {
  const scale = options.tauSquared ? options.tau * options.tau : 1;
  return { inter: options.beta * scale, intra: options.gamma * scale };
}

/** loss = beta * tau^2 * inter + gamma * tau^2 * intra (see `termWeights`), from the unscaled means. */
export function composeLoss(
  options: Pick<DistOptions, 'beta' | 'gamma' | 'tau' | 'tauSquared'>,
  inter: number,
  intra: number,
): { loss: number; inter: number; intra: number } {
  const weights = termWeights(options);
  return { loss: weights.inter * inter + weights.intra * intra, inter, intra };
}

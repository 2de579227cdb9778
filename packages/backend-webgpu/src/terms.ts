import { composeLoss, degenerateError, DistInputError, type DistOptions, type DistTerms } from '@dist-kd/core';

/**
 * Turns the kernels' sums ([sum_i (1 - r_i), sum_j (1 - r_j), degenerate count, non-finite count])
 * into the loss and its terms, or into the typed error their flags call for.
 */
export function termsFromSums(sums: Float32Array, batch: number, classes: number, options: DistOptions): DistTerms {
  checkFlags(sums, options);
  const [rowSum, columnSum] = sums;
  return composeLoss(options, rowSum / batch, columnSum / classes);
}

/** Throws the typed error the kernels' degenerate and non-finite counts (sums[2], sums[3]) call for. */
export function checkFlags(sums: Float32Array, options: DistOptions): void {
  const [, , degenerate, nonFinite] = sums;
  if (nonFinite > 0) {
    throw new DistInputError('NON_FINITE', 'the logits contain NaN or ±Infinity (check the model\'s output)');
  }
  if (degenerate > 0) {
    throw degenerateError(`eps = ${options.eps} (${Math.fround(options.eps)} in float32)`);
  }
}

/** The gradient in the array type `DistResult.gradient` promises: float32 for a Float32Array student. */
export function gradientFor(studentWasFloat32: boolean, values: Float32Array): Float32Array | Float64Array {
  // The readback is a fresh Float32Array already: hand it over unless the caller wants float64.
  return studentWasFloat32 ? values : Float64Array.from(values);
}

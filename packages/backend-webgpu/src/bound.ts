import type { BoundCalls, DistOptions } from '@dist-kd/core';
import { gradientFor, termsFromSums } from './terms.js';
import type { Workspace } from './workspace.js';

/** What a binding keeps of its validated request: everything but the logits, which are on the GPU. */
export interface BoundShape {
  readonly batch: number;
  readonly classes: number;
  readonly options: DistOptions;
  /** Whether the student was a Float32Array, which decides the gradient's array type. */
  readonly float32Student: boolean;
}

/**
 * Logits loaded once into a workspace of their own: each `compute` runs the kernels on them and maps
 * only the three scalars; a gradient stays in the workspace's buffers until `readGradient` copies it
 * out. The workspace is not the backend's shared one, so `compute` calls of any shape in between
 * leave the bound logits alone. `exclusive` is the backend's queue (one call on the GPU at a time);
 * core's lifecycle (`BackendLifecycle.bind`) adds the binding's states and errors around these calls.
 */
export function boundLogits(
  exclusive: <T>(work: () => Promise<T>) => Promise<T>,
  workspace: Workspace,
  shape: BoundShape,
): BoundCalls {
  return {
    compute: (gradient) =>
      exclusive(async () => {
        const { sums } = await workspace.run(shape.options, gradient ? 'kept' : 'none');
        return termsFromSums(sums, shape.batch, shape.classes, shape.options);
      }),
    readGradient: () => exclusive(async () => gradientFor(shape.float32Student, await workspace.readGradient())),
    release: () => workspace.destroy(),
  };
}

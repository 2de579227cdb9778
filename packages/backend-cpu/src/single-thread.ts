import { allocateGradient, composeLoss, type DistInput, type DistResult, type DistTerms } from '@dist-kd/core';
import { computeColumnCoefficients } from './kernels/backward-rows.js';
import { finishColumns } from './kernels/column-stats.js';
import { Workspace } from './workspace.js';

/** A gradient array for `computeInto`, of the type and length `DistResult.gradient` has. */
export type GradientOutput = Float32Array | Float64Array;

/** Runs DIST on the calling thread, reusing the workspace while the shape stays the same. */
export class SingleThreadDist {
  private workspace: Workspace | undefined;

  compute(input: DistInput): DistResult {
    const gradient = input.gradient ? allocateGradient(input) : undefined;
    const terms = this.computeInto(input, gradient);
    return gradient ? { ...terms, gradient } : terms;
  }

  /** Loss and terms; with `gradient`, dloss/dstudent written into it (whatever `input.gradient` says). */
  computeInto(input: DistInput, gradient: GradientOutput | undefined): DistTerms {
    const { batch, classes, options, student, teacher } = input;
    const ws = (this.workspace = Workspace.reuse(this.workspace, batch, classes, gradient !== undefined));
    const interSum = ws.forward(student, teacher, options);
    const intraSum = finishColumns([ws.partial], options, ws.columnStats);
    const terms = lossTerms(input, interSum, intraSum);
    if (!gradient) return terms;
    computeColumnCoefficients(ws.columnStats, options, ws.coefficients);
    ws.backward(batch, options, ws.coefficients, gradient);
    return terms;
  }
}

/** loss, inter and intra from the summed (1 - r) of rows and columns. */
export function lossTerms(input: DistInput, interSum: number, intraSum: number): DistTerms {
  return composeLoss(input.options, interSum / input.batch, intraSum / input.classes);
}

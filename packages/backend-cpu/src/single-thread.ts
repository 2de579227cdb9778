import { allocateGradient, type DistInput, type DistResult } from '@dist-kd/core';
import { computeColumnCoefficients } from './kernels/backward-rows.js';
import { finishColumns } from './kernels/column-stats.js';
import { Workspace } from './workspace.js';

/** Runs DIST on the calling thread, reusing the workspace while the shape stays the same. */
export class SingleThreadDist {
  private workspace: Workspace | undefined;

  compute(input: DistInput): DistResult {
    const { batch, classes, options, student, teacher } = input;
    const ws = (this.workspace = Workspace.reuse(this.workspace, batch, classes, input.gradient));
    const interSum = ws.forward(student, teacher, options);
    const intraSum = finishColumns([ws.partial], options, ws.columnStats);
    const result = lossTerms(input, interSum, intraSum);
    if (!input.gradient) return result;
    computeColumnCoefficients(ws.columnStats, options, ws.coefficients);
    const gradient = allocateGradient(input);
    ws.backward(batch, options, ws.coefficients, gradient);
    return { ...result, gradient };
  }
}

/** loss, inter and intra from the summed (1 - r) of rows and columns. */
export function lossTerms(input: DistInput, interSum: number, intraSum: number): DistResult {
  const { beta, gamma, tau } = input.options;
  const inter = interSum / input.batch;
  const intra = intraSum / input.classes;
  return { loss: tau * tau * (beta * inter + gamma * intra), inter, intra };
}

import {
  allocateGradient,
  composeLoss,
  shardStatistics,
  type DistInput,
  type DistResult,
  type DistTerms,
  type ShardStatistics,
  type ShardStatisticsView,
} from '@dist-kd/core';
import { computeColumnCoefficients } from './kernels/backward-rows.js';
import { finishColumns, partialStatistics } from './kernels/column-stats.js';
import { Workspace } from './workspace.js';

/** A gradient array for `computeInto`, of the type and length `DistResult.gradient` has. */
export type GradientOutput = Float32Array | Float64Array;

/** Runs DIST on the calling thread, reusing the workspace while the shape stays the same. */
export class SingleThreadDist {
  private workspace: Workspace | undefined;

  /**
   * Loss, terms and (with `input.gradient`) the gradient; with `whole`, the merged statistics of
   * every shard of the batch this input is a shard of, the whole batch's loss and this shard's rows.
   */
  compute(input: DistInput, whole?: ShardStatisticsView): DistResult {
    const gradient = input.gradient ? allocateGradient(input) : undefined;
    const terms = this.computeInto(input, gradient, whole);
    return gradient ? { ...terms, gradient } : terms;
  }

  /** Loss and terms; with `gradient`, dloss/dstudent written into it (whatever `input.gradient` says). */
  computeInto(input: DistInput, gradient: GradientOutput | undefined, whole?: ShardStatisticsView): DistTerms {
    const { batch, classes, options, student, teacher } = input;
    const ws = (this.workspace = Workspace.reuse(this.workspace, batch, classes, gradient !== undefined));
    const interSum = ws.forward(student, teacher, options);
    const intraSum = finishColumns(whole?.columns ?? partialStatistics(ws.partial), options, ws.columnStats);
    const rows = whole?.rows ?? batch;
    const terms = composeLoss(options, (whole?.interSum ?? interSum) / rows, intraSum / classes);
    if (!gradient) return terms;
    computeColumnCoefficients(ws.columnStats, options, ws.coefficients);
    ws.backward(rows, options, ws.coefficients, gradient);
    return terms;
  }

  /** Phase 1 of a shard: its sum of 1 - r_i and its column statistics. */
  statistics(input: DistInput): ShardStatistics {
    const ws = (this.workspace = Workspace.reuse(this.workspace, input.batch, input.classes, false));
    const interSum = ws.forward(input.student, input.teacher, input.options);
    return shardStatistics(input.classes, input.options, input.batch, interSum, partialStatistics(ws.partial));
  }
}

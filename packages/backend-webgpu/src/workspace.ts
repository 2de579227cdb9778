import { BackendRuntimeError, type DistOptions } from '@dist-kd/core';
import {
  BufferUsage,
  COLUMN_RECORD_BYTES,
  DistWorkspace,
  MapMode,
  SCALARS_BYTES,
  type ChunkPlan,
  type DistIo,
  type MergedColumns,
  writableFloat32,
} from '@dist-kd/kernel-wgsl';
import type { DeviceContext } from './device-context.js';

/** Logits already in host memory, or already on this device (e.g. a tfjs-webgpu tensor's buffer). */
export type InputSource =
  | { readonly kind: 'host'; readonly student: Float32Array | Float64Array; readonly teacher: Float32Array | Float64Array }
  | { readonly kind: 'gpu'; readonly student: GPUBuffer; readonly teacher: GPUBuffer };

/**
 * Where the gradient goes: nowhere, back to the host, into a new GPU buffer the caller owns, or
 * kept in the workspace's own buffers until `readGradient` or the next run.
 */
export type GradientTarget = 'none' | 'host' | 'gpu' | 'kept';

/** Phase 1 of a shard: the kernels' scalars (as in WorkspaceResult) and the shard's column records. */
export interface StatisticsResult {
  readonly sums: Float32Array;
  readonly columnRecords: Float32Array;
}

/** Phase 2 of a shard: the merged statistics' column records and the whole batch's row count. */
export interface MergedShards {
  readonly records: MergedColumns['records'];
  readonly rows: number;
}

export interface WorkspaceResult {
  /** The kernels' scalars: [sum_i (1 - r_i), sum_j (1 - r_j), degenerate count, non-finite count, loss, inter, intra, flags] */
  readonly sums: Float32Array;
  readonly hostGradient?: Float32Array;
  readonly gpuGradient?: GPUBuffer;
}

/**
 * The kernels' workspace for one [B, C] shape (kernel-wgsl's DistWorkspace) and the staging buffers
 * that bring results to the host, created once and reused by every call of that shape. A call
 * writes the logits (unless they were loaded before: bound logits), records the kernels into one
 * command encoder, submits once and maps one buffer: the sums, followed by the gradient when asked.
 */
export class Workspace {
  private readonly kernels: DistWorkspace;
  private readonly scalarsStaging: GPUBuffer;
  /** Created on the first call that reads the gradient back: the sums, then the [B, C] gradient. */
  private gradientStaging: GPUBuffer | undefined;
  /** Created on the first shard statistics: the sums, then the column records. */
  private columnsStaging: GPUBuffer | undefined;

  constructor(
    private readonly context: DeviceContext,
    readonly plan: ChunkPlan,
  ) {
    this.kernels = new DistWorkspace(context.device, context.pipelines, plan);
    this.scalarsStaging = this.context.device.createBuffer({
      label: 'dist-kd scalars staging',
      size: SCALARS_BYTES,
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
  }

  /**
   * Writes the logits into this workspace's input buffers, where they stay for the calls of `run`
   * that pass no source (bound logits).
   */
  async load(source: InputSource & { kind: 'host' }): Promise<void> {
    await this.submitAndMap(() => {
      this.kernels.writeInputs(writableFloat32(source.student), writableFloat32(source.teacher));
      return [];
    });
  }

  /**
   * Runs the kernels on `source`, or without one on the logits the last `load` or host `run` left
   * in the input buffers, and maps the scalars (and the gradient, for target 'host'). With `merged`,
   * these rows are one shard of a batch, and the gradient is that of the whole batch's loss.
   */
  async run(options: DistOptions, target: GradientTarget, source?: InputSource, merged?: MergedShards): Promise<WorkspaceResult> {
    let gpuGradient: GPUBuffer | undefined;
    await this.submitAndMap(
      (encoder) => {
        const inputs = this.inputsOf(source);
        if (target === 'gpu') gpuGradient = this.newGradientBuffer();
        const gradient: DistIo['gradient'] = target === 'none' ? 'none' : (gpuGradient ?? 'own');
        if (merged) this.kernels.encodeShardGradient(encoder, options, merged, { inputs, gradient });
        else this.kernels.encode(encoder, options, { inputs, gradient });
        // The sums ride at the front of the gradient staging buffer, so that a call maps one buffer.
        const staging = target === 'host' ? this.stageGradient(encoder) : this.scalarsStaging;
        encoder.copyBufferToBuffer(this.kernels.scalars, 0, staging, 0, SCALARS_BYTES);
        return [staging];
      },
      () => gpuGradient?.destroy(),
    );
    const staging = target === 'host' ? this.gradientStaging! : this.scalarsStaging;
    const mapped = staging.getMappedRange();
    const sums = new Float32Array(mapped.slice(0, SCALARS_BYTES));
    const hostGradient = target === 'host' ? new Float32Array(mapped.slice(SCALARS_BYTES)) : undefined;
    staging.unmap();
    return { sums, hostGradient, gpuGradient };
  }

  /** Phase 1 of a shard on `source`: maps the scalars and the column records in one buffer. */
  async statistics(options: DistOptions, source: InputSource): Promise<StatisticsResult> {
    const recordBytes = this.plan.classes * COLUMN_RECORD_BYTES;
    this.columnsStaging ??= this.context.device.createBuffer({
      label: 'dist-kd columns staging',
      size: SCALARS_BYTES + recordBytes,
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
    const staging = this.columnsStaging;
    await this.submitAndMap((encoder) => {
      this.kernels.encodeShardStatistics(encoder, options, { inputs: this.inputsOf(source) });
      encoder.copyBufferToBuffer(this.kernels.scalars, 0, staging, 0, SCALARS_BYTES);
      encoder.copyBufferToBuffer(this.kernels.columns, 0, staging, SCALARS_BYTES, recordBytes);
      return [staging];
    });
    const mapped = staging.getMappedRange();
    const sums = new Float32Array(mapped.slice(0, SCALARS_BYTES));
    const columnRecords = new Float32Array(mapped.slice(SCALARS_BYTES));
    staging.unmap();
    return { sums, columnRecords };
  }

  /** Copies the gradient that the last run with target 'kept' left in this workspace to the host. */
  async readGradient(): Promise<Float32Array> {
    await this.submitAndMap((encoder) => [this.stageGradient(encoder)]);
    const staging = this.gradientStaging!;
    const gradient = new Float32Array(staging.getMappedRange().slice(SCALARS_BYTES));
    staging.unmap();
    return gradient;
  }

  destroy(): void {
    this.kernels.destroy();
    this.scalarsStaging.destroy();
    this.gradientStaging?.destroy();
    this.gradientStaging = undefined;
    this.columnsStaging?.destroy();
    this.columnsStaging = undefined;
  }

  /** Host logits are written now (into the workspace's input buffers); GPU ones are bound where they are. */
  private inputsOf(source: InputSource | undefined): DistIo['inputs'] {
    if (source?.kind === 'host') this.kernels.writeInputs(writableFloat32(source.student), writableFloat32(source.teacher));
    return source?.kind === 'gpu' ? { student: source.student, teacher: source.teacher } : undefined;
  }

  /**
   * Records work into one encoder, submits it and maps the staging buffers it returns, turning the
   * GPU's validation and out-of-memory errors and a lost device into BackendRuntimeErrors.
   * `onFailure` releases what the work created for the caller.
   */
  private async submitAndMap(encode: (encoder: GPUCommandEncoder) => GPUBuffer[], onFailure?: () => void): Promise<void> {
    const { device } = this.context;
    this.context.assertAlive();
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder({ label: 'dist-kd' });
    const staging = encode(encoder);
    device.queue.submit([encoder.finish()]);
    const validation = device.popErrorScope();
    const outOfMemory = device.popErrorScope();
    try {
      await this.context.whileAlive(Promise.all(staging.map((buffer) => buffer.mapAsync(MapMode.READ))));
      const error = (await this.context.whileAlive(validation)) ?? (await this.context.whileAlive(outOfMemory));
      if (error) throw new BackendRuntimeError('webgpu', `the GPU rejected the work: ${error.message}`);
    } catch (error) {
      onFailure?.();
      for (const buffer of staging) if (buffer.mapState === 'mapped') buffer.unmap();
      if ((error as { code?: string }).code === 'BACKEND_RUNTIME') throw error;
      this.context.assertAlive();
      throw new BackendRuntimeError('webgpu', `reading results back failed: ${(error as Error).message}`, { cause: error });
    }
  }

  /** One new buffer for the whole [B, C] gradient, for callers that keep it on the GPU. */
  private newGradientBuffer(): GPUBuffer {
    return this.context.device.createBuffer({
      label: 'dist-kd gradient',
      size: this.plan.batch * this.plan.classes * 4,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
  }

  /** Copies the workspace's gradient into the staging buffer, after room for the sums. */
  private stageGradient(encoder: GPUCommandEncoder): GPUBuffer {
    this.gradientStaging ??= this.context.device.createBuffer({
      label: 'dist-kd gradient staging',
      size: SCALARS_BYTES + this.plan.batch * this.plan.classes * 4,
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
    this.kernels.encodeGradientCopy(encoder, this.gradientStaging, SCALARS_BYTES);
    return this.gradientStaging;
  }
}

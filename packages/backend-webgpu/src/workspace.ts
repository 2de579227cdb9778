import { BackendRuntimeError, epsPlacement, termWeights, type DistOptions } from '@dist-kd/core';
import type { ChunkPlan } from './chunk-plan.js';
import type { DeviceContext } from './device-context.js';
import { BufferUsage, MapMode } from './gpu-constants.js';
import { COLUMN_RECORD_BYTES, PARAMS_BYTES, ROW_RECORD_BYTES, SCALARS_BYTES } from './kernels/index.js';

/** Logits already in host memory, or already on this device (e.g. a tfjs-webgpu tensor's buffer). */
export type InputSource =
  | { readonly kind: 'host'; readonly student: Float32Array | Float64Array; readonly teacher: Float32Array | Float64Array }
  | { readonly kind: 'gpu'; readonly student: GPUBuffer; readonly teacher: GPUBuffer };

/**
 * Where the gradient goes: nowhere, back to the host, into a new GPU buffer the caller owns, or
 * kept in the workspace's own buffers until `readGradient` or the next run.
 */
export type GradientTarget = 'none' | 'host' | 'gpu' | 'kept';

export interface WorkspaceResult {
  /** [sum_i (1 - r_i), sum_j (1 - r_j), degenerate count, non-finite count] */
  readonly sums: Float32Array;
  readonly hostGradient?: Float32Array;
  readonly gpuGradient?: GPUBuffer;
}

interface ChunkBuffers {
  readonly params: GPUBuffer;
  readonly student: GPUBuffer;
  readonly teacher: GPUBuffer;
  readonly gradient: GPUBuffer;
  readonly bindGroups: Readonly<Record<'rowSoftmax' | 'columnSums' | 'columnProducts' | 'lossReduce' | 'gradient', GPUBindGroup>>;
  /** Created on the first call that reads the gradient back. */
  staging?: GPUBuffer;
}

/**
 * The buffers and bind groups for one [B, C] shape, created once and reused by every call of that
 * shape. A call writes the parameters and the logits (unless they were loaded before: bound logits),
 * records every dispatch into one command encoder, submits once and maps what the caller asked for.
 */
export class Workspace {
  private readonly chunks: ChunkBuffers[];
  private readonly columns: GPUBuffer;
  private readonly scalars: GPUBuffer;
  private readonly scalarsStaging: GPUBuffer;
  private readonly owned: GPUBuffer[] = [];

  constructor(
    private readonly context: DeviceContext,
    readonly plan: ChunkPlan,
  ) {
    const { device, pipelines } = context;
    const C = plan.classes;
    this.columns = this.buffer('columns', C * COLUMN_RECORD_BYTES, BufferUsage.STORAGE | BufferUsage.COPY_DST);
    this.scalars = this.buffer('scalars', SCALARS_BYTES, BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC);
    this.scalarsStaging = this.buffer('scalars staging', SCALARS_BYTES, BufferUsage.MAP_READ | BufferUsage.COPY_DST);
    this.chunks = plan.chunks.map((chunk, index) => {
      const bytes = chunk.rows * C * 4;
      const label = (what: string) => `${what} ${index}`;
      const params = this.buffer(label('params'), PARAMS_BYTES, BufferUsage.UNIFORM | BufferUsage.COPY_DST);
      const student = this.buffer(label('student'), bytes, BufferUsage.STORAGE | BufferUsage.COPY_DST);
      const teacher = this.buffer(label('teacher'), bytes, BufferUsage.STORAGE | BufferUsage.COPY_DST);
      // The row kernel's per-element values w for the column and gradient kernels (see RowRecord).
      const wStudent = this.buffer(label('w student'), bytes, BufferUsage.STORAGE);
      const wTeacher = this.buffer(label('w teacher'), bytes, BufferUsage.STORAGE);
      const rows = this.buffer(label('rows'), chunk.rows * ROW_RECORD_BYTES, BufferUsage.STORAGE);
      const gradient = this.buffer(label('gradient'), bytes, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
      const bind = (kernel: keyof typeof pipelines, buffers: GPUBuffer[]) =>
        device.createBindGroup({
          label: label(kernel),
          layout: pipelines[kernel].getBindGroupLayout(0),
          entries: [params, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } })),
        });
      return {
        params,
        student,
        teacher,
        gradient,
        bindGroups: {
          rowSoftmax: bind('rowSoftmax', [student, teacher, wStudent, wTeacher, rows]),
          columnSums: bind('columnSums', [wStudent, wTeacher, rows, this.columns]),
          columnProducts: bind('columnProducts', [wStudent, wTeacher, rows, this.columns]),
          lossReduce: bind('lossReduce', [rows, this.columns, this.scalars]),
          gradient: bind('gradient', [wStudent, wTeacher, rows, this.columns, gradient]),
        },
      };
    });
  }

  /**
   * Writes the logits into this workspace's input buffers, where they stay for the calls of `run`
   * that pass no source (bound logits).
   */
  async load(source: InputSource): Promise<void> {
    await this.submitAndMap((encoder) => {
      this.loadInputs(source, encoder);
      return [];
    });
  }

  /**
   * Runs the kernels on `source`, or without one on the logits the last `load` or `run` left in the
   * input buffers, and maps the scalars (and the gradient, for target 'host').
   */
  async run(options: DistOptions, target: GradientTarget, source?: InputSource): Promise<WorkspaceResult> {
    let gpuGradient: GPUBuffer | undefined;
    await this.submitAndMap(
      (encoder) => {
        this.writeParams(options);
        if (source) this.loadInputs(source, encoder);
        this.encodeKernels(encoder, target !== 'none');
        if (target === 'gpu') gpuGradient = this.gatherGradient(encoder);
        // The scalars ride at the front of the first gradient staging buffer when there is one, so
        // that an unsplit call maps a single buffer.
        const staging = target === 'host' ? this.stageGradient(encoder) : [this.scalarsStaging];
        encoder.copyBufferToBuffer(this.scalars, 0, staging[0], 0, SCALARS_BYTES);
        return staging;
      },
      () => gpuGradient?.destroy(),
    );
    if (target === 'host') return this.takeStaged();
    const sums = new Float32Array(this.scalarsStaging.getMappedRange().slice(0));
    this.scalarsStaging.unmap();
    return { sums, gpuGradient };
  }

  /** Copies the gradient that the last run with target 'kept' left in this workspace to the host. */
  async readGradient(): Promise<Float32Array> {
    await this.submitAndMap((encoder) => this.stageGradient(encoder));
    return this.takeStaged().hostGradient;
  }

  destroy(): void {
    for (const buffer of this.owned) buffer.destroy();
    this.owned.length = 0;
  }

  private buffer(label: string, size: number, usage: number): GPUBuffer {
    const buffer = this.context.device.createBuffer({ label: `dist-kd ${label}`, size: Math.max(size, 4), usage });
    this.owned.push(buffer);
    return buffer;
  }

  private encodeKernels(encoder: GPUCommandEncoder, gradient: boolean): void {
    const { pipelines } = this.context;
    encoder.clearBuffer(this.columns);
    encoder.clearBuffer(this.scalars);
    const pass = encoder.beginComputePass({ label: 'dist-kd' });
    const rowGrid = (rows: number) => this.plan.rowGrid(rows);
    const stage = (kernel: keyof ChunkBuffers['bindGroups'], grid: (rows: number) => { x: number; y: number }) => {
      pass.setPipeline(pipelines[kernel]);
      this.plan.chunks.forEach((chunk, index) => {
        const { x, y } = grid(chunk.rows);
        pass.setBindGroup(0, this.chunks[index].bindGroups[kernel]);
        pass.dispatchWorkgroups(x, y);
      });
    };
    stage('rowSoftmax', rowGrid);
    stage('columnSums', () => this.plan.columnGrid);
    stage('columnProducts', () => this.plan.columnGrid);
    stage('lossReduce', () => ({ x: 1, y: 1 }));
    if (gradient) stage('gradient', rowGrid);
    pass.end();
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

  private writeParams(options: DistOptions): void {
    const { batch, classes } = this.plan;
    const { tau } = options;
    const { eps, epsInside } = epsPlacement(options);
    const weights = termWeights(options);
    this.plan.chunks.forEach((chunk, index) => {
      const data = new ArrayBuffer(PARAMS_BYTES);
      const u32 = new Uint32Array(data);
      const f32 = new Float32Array(data);
      u32.set([classes, chunk.rows, batch, chunk.isLast ? 1 : 0, this.plan.rowGrid(chunk.rows).x, this.plan.columnGrid.x]);
      f32.set([tau, eps, epsInside, 1 / batch, weights.inter / batch, weights.intra / classes], 8);
      this.context.device.queue.writeBuffer(this.chunks[index].params, 0, data);
    });
  }

  private loadInputs(source: InputSource, encoder: GPUCommandEncoder): void {
    const C = this.plan.classes;
    this.plan.chunks.forEach((chunk, index) => {
      const { student, teacher } = this.chunks[index];
      const start = chunk.rowStart * C;
      const length = chunk.rows * C;
      if (source.kind === 'gpu') {
        encoder.copyBufferToBuffer(source.student, start * 4, student, 0, length * 4);
        encoder.copyBufferToBuffer(source.teacher, start * 4, teacher, 0, length * 4);
      } else {
        const queue = this.context.device.queue;
        queue.writeBuffer(student, 0, asFloat32(source.student.subarray(start, start + length)));
        queue.writeBuffer(teacher, 0, asFloat32(source.teacher.subarray(start, start + length)));
      }
    });
  }

  /** One new buffer with the whole [B, C] gradient, for callers that keep it on the GPU. */
  private gatherGradient(encoder: GPUCommandEncoder): GPUBuffer {
    const C = this.plan.classes;
    const output = this.context.device.createBuffer({
      label: 'dist-kd gradient',
      size: this.plan.batch * C * 4,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
    this.plan.chunks.forEach((chunk, index) => {
      encoder.copyBufferToBuffer(this.chunks[index].gradient, 0, output, chunk.rowStart * C * 4, chunk.rows * C * 4);
    });
    return output;
  }

  /**
   * Copies each chunk's gradient to its staging buffer (the first one after room for the scalars)
   * and returns those buffers.
   */
  private stageGradient(encoder: GPUCommandEncoder): GPUBuffer[] {
    return this.chunks.map((chunk, index) => {
      const offset = index === 0 ? SCALARS_BYTES : 0;
      chunk.staging ??= this.buffer('gradient staging', offset + chunk.gradient.size, BufferUsage.MAP_READ | BufferUsage.COPY_DST);
      encoder.copyBufferToBuffer(chunk.gradient, 0, chunk.staging, offset, chunk.gradient.size);
      return chunk.staging;
    });
  }

  /** Reads and unmaps the mapped staging buffers: the scalars' room at the front of the first, then the gradient. */
  private takeStaged(): { sums: Float32Array; hostGradient: Float32Array } {
    const C = this.plan.classes;
    const hostGradient = new Float32Array(this.plan.batch * C);
    let sums = new Float32Array(4);
    this.plan.chunks.forEach((chunk, index) => {
      const staging = this.chunks[index].staging!;
      const mapped = staging.getMappedRange();
      if (index === 0) sums = new Float32Array(mapped.slice(0, SCALARS_BYTES));
      const offset = index === 0 ? SCALARS_BYTES : 0;
      hostGradient.set(new Float32Array(mapped, offset, chunk.rows * C), chunk.rowStart * C);
      staging.unmap();
    });
    return { sums, hostGradient };
  }
}

function asFloat32(values: Float32Array | Float64Array): Float32Array<ArrayBuffer> {
  // Dawn's Node bindings crash the process (SIGSEGV) on a view of a SharedArrayBuffer: copy those.
  const shared = typeof SharedArrayBuffer !== 'undefined' && values.buffer instanceof SharedArrayBuffer;
  return (values instanceof Float32Array && !shared ? values : Float32Array.from(values)) as Float32Array<ArrayBuffer>;
}

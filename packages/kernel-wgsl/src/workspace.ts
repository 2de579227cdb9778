/**
 * The encoder: one DistWorkspace per device and [B, C] shape owns the scratch buffers between the
 * kernels (the row kernel's values w, the row and column records, the scalars) and records the
 * kernels into a command encoder the caller owns and submits. Inputs and outputs are the caller's
 * GPUBuffers, bound where they are (one chunk) or copied by whole rows (inputs split into chunks),
 * so a framework (tfjs) can hand in its tensors' buffers and keep the results on the GPU.
 */
import { epsPlacement, termWeights, type DistOptions } from '@dist-kd/core';
import type { ChunkPlan } from './chunk-plan.js';
import { BufferUsage } from './gpu-constants.js';
import {
  ACTIVATION_CODES,
  COLUMN_RECORD_BYTES,
  PARAMS_BYTES,
  ROW_RECORD_BYTES,
  SCALARS_BYTES,
  VECTOR_BINDING_MIN_BYTES,
  type KernelName,
} from './kernels/index.js';
import type { DistPipelines } from './pipelines.js';

/** What one `encode` reads and writes besides the workspace's own scratch. */
export interface DistIo {
  /**
   * The [B, C] float32 logits, row-major from byte 0, on the workspace's device. Omitted: the
   * logits `writeInputs` (or an earlier call with `keepInputs`) left in the workspace's own buffers.
   */
  readonly inputs?: { readonly student: GPUBuffer; readonly teacher: GPUBuffer };
  /**
   * `none`: forward only. `own`: the gradient stays in the workspace (see `encodeGradientCopy`).
   * A GPUBuffer of at least 4*B*C bytes (STORAGE, and COPY_DST when the input is split): the
   * gradient is written there.
   */
  readonly gradient: 'none' | 'own' | GPUBuffer;
}

interface ChunkScratch {
  readonly params: GPUBuffer;
  readonly wStudent: GPUBuffer;
  readonly wTeacher: GPUBuffer;
  readonly rows: GPUBuffer;
  readonly columnStatistics: GPUBindGroup;
  readonly lossReduce: GPUBindGroup;
}

/** Bind groups of the caller's buffers, remembered for the buffers they were made for. */
interface Remembered {
  readonly key: readonly GPUBuffer[];
  readonly group: GPUBindGroup;
}

/** What one recording runs, besides the row kernel (see `record`). */
interface Stages {
  /** `computed`: the column-statistics kernel fills `columns` from these rows; `given`: the host wrote them (phase 2 of a shard). */
  readonly columns: 'computed' | 'given';
  /** Whether these rows are the whole batch, whose column terms loss-reduce adds (params.columnTerms). */
  readonly wholeBatch: boolean;
  /** Rows of the batch the row term's mean runs over: these rows, or all shards' (phase 2). */
  readonly weightRows: number;
}

/** float32 quiet NaN, for the loss of flagged input (see loss-reduce.ts). */
const QUIET_NAN_BITS = 0x7fc00000;

export class DistWorkspace {
  /**
   * [sum_i (1 - r_i), sum_j (1 - r_j), degenerate count, non-finite count, loss, inter, intra,
   * flags] as float32 after the encoded work has run (TERMS_OFFSET_BYTES: where the terms start).
   */
  readonly scalars: GPUBuffer;
  /** The column records (ColumnRecord, kernels/common.ts): a shard's after `encodeShardStatistics`. */
  readonly columns: GPUBuffer;
  /** Per column between chunks: the running mean of the column-statistics kernel (two float32). */
  private readonly shiftedMeans: GPUBuffer;
  private readonly chunks: (ChunkScratch & { rowGroup?: Remembered; gradientGroup?: Remembered })[];
  /** Per chunk, created when first needed: logits written by the host or copied out of a split input. */
  private ownInputs: { student: GPUBuffer; teacher: GPUBuffer }[] | undefined;
  /** Per chunk, created when first needed: the gradient when it stays here or the input is split. */
  private ownGradients: GPUBuffer[] | undefined;
  private readonly owned: GPUBuffer[] = [];
  private readonly paramsData = new ArrayBuffer(PARAMS_BYTES);
  /** C a multiple of 4: every row is whole vec4s, and the per-row kernels' aligned variants run. */
  private readonly alignedRows: boolean;
  private readonly rowKernel: KernelName;
  private readonly gradientKernel: KernelName;

  constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: DistPipelines,
    readonly plan: ChunkPlan,
  ) {
    const C = plan.classes;
    this.alignedRows = C % 4 === 0;
    this.rowKernel = this.alignedRows ? 'rowActivationAligned' : 'rowActivation';
    this.gradientKernel = this.alignedRows ? 'gradientAligned' : 'gradient';
    this.columns = this.buffer('columns', C * COLUMN_RECORD_BYTES, BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC);
    this.shiftedMeans = this.buffer('shifted means', C * 8, BufferUsage.STORAGE);
    this.scalars = this.buffer('scalars', SCALARS_BYTES, BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC);
    this.chunks = plan.chunks.map((chunk, index) => {
      const bytes = chunk.rows * C * 4;
      const label = (what: string) => `${what} ${index}`;
      const params = this.buffer(label('params'), PARAMS_BYTES, BufferUsage.UNIFORM | BufferUsage.COPY_DST);
      // The row kernel's per-element values w for the column and gradient kernels (see RowRecord).
      const wStudent = this.buffer(label('w student'), bytes, BufferUsage.STORAGE);
      const wTeacher = this.buffer(label('w teacher'), bytes, BufferUsage.STORAGE);
      const rows = this.buffer(label('rows'), chunk.rows * ROW_RECORD_BYTES, BufferUsage.STORAGE);
      const bind = (kernel: KernelName, buffers: GPUBuffer[]) => this.bindGroup(kernel, label(kernel), params, buffers);
      return {
        params,
        wStudent,
        wTeacher,
        rows,
        // w twice: as f32s and as vec4s.
        columnStatistics: bind('columnStatistics', [wStudent, wTeacher, rows, this.columns, this.shiftedMeans, wStudent, wTeacher]),
        lossReduce: bind('lossReduce', [rows, this.columns, this.scalars]),
      };
    });
  }

  /** Writes host logits ([B, C] row-major) into the workspace's own input buffers, for `encode` without `inputs`. */
  writeInputs(student: Float32Array<ArrayBuffer>, teacher: Float32Array<ArrayBuffer>): void {
    const C = this.plan.classes;
    const own = this.inputBuffers();
    this.plan.chunks.forEach((chunk, index) => {
      const start = chunk.rowStart * C;
      const end = start + chunk.rows * C;
      this.device.queue.writeBuffer(own[index].student, 0, student.subarray(start, end));
      this.device.queue.writeBuffer(own[index].teacher, 0, teacher.subarray(start, end));
    });
  }

  /**
   * Records DIST into `encoder` (the parameters go through `queue.writeBuffer` now, so submit this
   * encoder before encoding this workspace again with other options). Every pass of one call runs
   * in order in one compute pass; the caller submits.
   */
  encode(encoder: GPUCommandEncoder, options: DistOptions, io: DistIo): void {
    this.record(encoder, options, io, { columns: 'computed', wholeBatch: true, weightRows: this.plan.batch });
  }

  /**
   * Phase 1 of a shard (these rows are one shard of a batch): records the row and column-statistics kernels,
   * after which `columns` holds the shard's column records and `scalars` its rows' sum of 1 - r_i
   * and their degenerate and non-finite counts (no column terms: the shard's columns are only part
   * of the batch's). `statisticsFromColumnRecords` (shards.ts) reads the records back.
   */
  encodeShardStatistics(encoder: GPUCommandEncoder, options: DistOptions, io: Pick<DistIo, 'inputs'>): void {
    this.record(encoder, options, { ...io, gradient: 'none' }, { columns: 'computed', wholeBatch: false, weightRows: this.plan.batch });
  }

  /**
   * Phase 2 of a shard: writes the merged statistics' column records (`columnRecordsFromStatistics`)
   * into `columns` now and records the row kernel and the gradient of the whole batch's loss for
   * these rows (`merged.rows`: the whole batch's row count); `scalars` gets the rows' flags.
   */
  encodeShardGradient(encoder: GPUCommandEncoder, options: DistOptions, merged: { records: Float32Array<ArrayBuffer>; rows: number }, io: DistIo): void {
    if (merged.records.byteLength !== this.plan.classes * COLUMN_RECORD_BYTES) {
      throw new RangeError(`column records for ${merged.records.byteLength / COLUMN_RECORD_BYTES} classes given to a workspace of ${this.plan.classes}`);
    }
    this.device.queue.writeBuffer(this.columns, 0, merged.records);
    this.record(encoder, options, io, { columns: 'given', wholeBatch: false, weightRows: merged.rows });
  }

  private record(encoder: GPUCommandEncoder, options: DistOptions, io: DistIo, stages: Stages): void {
    this.writeParams(options, stages);
    const split = this.plan.chunks.length > 1;
    // Inputs smaller than a vec4 binding (forEachInRow) are copied into the workspace's own buffers too.
    const copied = split || (io.inputs !== undefined && io.inputs.student.size < VECTOR_BINDING_MIN_BYTES);
    const C = this.plan.classes;
    if (io.inputs && copied) {
      const own = this.inputBuffers();
      this.plan.chunks.forEach((chunk, index) => {
        const bytes = chunk.rows * C * 4;
        encoder.copyBufferToBuffer(io.inputs!.student, chunk.rowStart * C * 4, own[index].student, 0, bytes);
        encoder.copyBufferToBuffer(io.inputs!.teacher, chunk.rowStart * C * 4, own[index].teacher, 0, bytes);
      });
    }
    const inputsOf = (index: number) => (io.inputs && !copied ? io.inputs : this.inputBuffers()[index]);
    const gradientOf = (index: number) =>
      typeof io.gradient === 'object' && !split ? io.gradient : this.gradientBuffers()[index];

    encoder.clearBuffer(this.scalars);
    const pass = encoder.beginComputePass({ label: 'dist-kd' });
    const stage = (kernel: KernelName, group: (index: number) => GPUBindGroup, grid: (rows: number) => { x: number; y: number }) => {
      pass.setPipeline(this.pipelines[kernel]);
      this.plan.chunks.forEach((chunk, index) => {
        const { x, y } = grid(chunk.rows);
        pass.setBindGroup(0, group(index));
        pass.dispatchWorkgroups(x, y);
      });
    };
    const rowGrid = (rows: number) => this.plan.rowGrid(rows);
    stage(this.rowKernel, (index) => this.rowGroup(index, inputsOf(index)), rowGrid);
    if (stages.columns === 'computed') {
      stage('columnStatistics', (index) => this.chunks[index].columnStatistics, () => this.plan.columnGrid);
    }
    stage('lossReduce', (index) => this.chunks[index].lossReduce, () => ({ x: 1, y: 1 }));
    if (io.gradient !== 'none') stage(this.gradientKernel, (index) => this.gradientGroup(index, gradientOf(index)), rowGrid);
    pass.end();
    if (typeof io.gradient === 'object' && split) this.encodeGradientCopy(encoder, io.gradient, 0);
  }

  /**
   * Copies the gradient an `encode` with `gradient: 'own'` (or a split input) left here into
   * `target` from `targetByteOffset` on, as one [B, C] float32 array.
   */
  encodeGradientCopy(encoder: GPUCommandEncoder, target: GPUBuffer, targetByteOffset: number): void {
    const C = this.plan.classes;
    const own = this.gradientBuffers();
    this.plan.chunks.forEach((chunk, index) => {
      encoder.copyBufferToBuffer(own[index], 0, target, targetByteOffset + chunk.rowStart * C * 4, chunk.rows * C * 4);
    });
  }

  destroy(): void {
    for (const buffer of this.owned) buffer.destroy();
    this.owned.length = 0;
  }

  private buffer(label: string, size: number, usage: number): GPUBuffer {
    const buffer = this.device.createBuffer({ label: `dist-kd ${label}`, size: Math.max(size, VECTOR_BINDING_MIN_BYTES), usage });
    this.owned.push(buffer);
    return buffer;
  }

  private bindGroup(kernel: KernelName, label: string, params: GPUBuffer, buffers: GPUBuffer[]): GPUBindGroup {
    return this.device.createBindGroup({
      label,
      layout: this.pipelines[kernel].getBindGroupLayout(0),
      entries: [params, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  }

  private rowGroup(index: number, inputs: { student: GPUBuffer; teacher: GPUBuffer }): GPUBindGroup {
    const chunk = this.chunks[index];
    const key = [inputs.student, inputs.teacher];
    if (!sameBuffers(chunk.rowGroup?.key, key)) {
      // The logits as vec4s, and for unaligned rows as f32s too (forEachInRow).
      const buffers = [...key, chunk.wStudent, chunk.wTeacher, chunk.rows, ...(this.alignedRows ? [] : key)];
      const group = this.bindGroup(this.rowKernel, `rowActivation ${index}`, chunk.params, buffers);
      chunk.rowGroup = { key, group };
    }
    return chunk.rowGroup!.group;
  }

  private gradientGroup(index: number, gradient: GPUBuffer): GPUBindGroup {
    const chunk = this.chunks[index];
    const key = [gradient];
    if (!sameBuffers(chunk.gradientGroup?.key, key)) {
      const w = [chunk.wStudent, chunk.wTeacher];
      const buffers = [...w, chunk.rows, this.columns, gradient, ...(this.alignedRows ? [] : w)];
      chunk.gradientGroup = { key, group: this.bindGroup(this.gradientKernel, `gradient ${index}`, chunk.params, buffers) };
    }
    return chunk.gradientGroup!.group;
  }

  private inputBuffers(): { student: GPUBuffer; teacher: GPUBuffer }[] {
    const C = this.plan.classes;
    const usage = BufferUsage.STORAGE | BufferUsage.COPY_DST;
    this.ownInputs ??= this.plan.chunks.map((chunk, index) => ({
      student: this.buffer(`student ${index}`, chunk.rows * C * 4, usage),
      teacher: this.buffer(`teacher ${index}`, chunk.rows * C * 4, usage),
    }));
    return this.ownInputs;
  }

  private gradientBuffers(): GPUBuffer[] {
    const C = this.plan.classes;
    this.ownGradients ??= this.plan.chunks.map((chunk, index) =>
      this.buffer(`gradient ${index}`, chunk.rows * C * 4, BufferUsage.STORAGE | BufferUsage.COPY_SRC),
    );
    return this.ownGradients;
  }

  private writeParams(options: DistOptions, stages: Stages): void {
    const { batch, classes } = this.plan;
    const { eps, epsInside } = epsPlacement(options);
    const weights = termWeights(options);
    const u32 = new Uint32Array(this.paramsData);
    const f32 = new Float32Array(this.paramsData);
    this.plan.chunks.forEach((chunk, index) => {
      const last = chunk.isLast ? 1 : 0;
      u32.set([classes, chunk.rows, batch, last, this.plan.rowGrid(chunk.rows).x, this.plan.columnGrid.x, QUIET_NAN_BITS, stages.wholeBatch ? 1 : 0]);
      const rowWeight = weights.inter / stages.weightRows;
      f32.set([options.tau, eps, epsInside, 1 / batch, rowWeight, weights.intra / classes, weights.inter, weights.intra], 8);
      u32.set([ACTIVATION_CODES[options.activation], chunk.rowStart, 0], 16); // the last: opaqueZero
      this.device.queue.writeBuffer(this.chunks[index].params, 0, this.paramsData);
    });
  }
}

function sameBuffers(a: readonly GPUBuffer[] | undefined, b: readonly GPUBuffer[]): boolean {
  return a !== undefined && a.length === b.length && a.every((buffer, i) => buffer === b[i]);
}

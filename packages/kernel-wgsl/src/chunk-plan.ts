import { BackendRuntimeError } from '@dist-kd/core';
import { COLUMN_RECORD_BYTES, COLUMN_WIDTH, ROW_RECORD_BYTES, type KernelShape } from './kernels/index.js';

export interface DeviceBounds {
  /** Largest storage buffer binding, in bytes (the device's limit or a smaller test override). */
  readonly maxBindingBytes: number;
  /** Largest workgroup count along one dispatch dimension. */
  readonly maxWorkgroupsPerDimension: number;
  /** Column invocations side by side per workgroup of the column-statistics kernel (COLUMN_WIDTH columns each). */
  readonly columnTile: number;
  /** Rows per workgroup of the per-row kernels. */
  readonly rowsPerGroup: number;
}

export interface Chunk {
  readonly rowStart: number;
  readonly rows: number;
  readonly isLast: boolean;
}

export interface Grid {
  readonly x: number;
  readonly y: number;
}

export interface ChunkPlan {
  readonly batch: number;
  readonly classes: number;
  readonly chunks: readonly Chunk[];
  /** Workgroups of the per-row kernels for a chunk of `rows` rows. */
  rowGrid(rows: number): Grid;
  /** Workgroups of the column-statistics kernel. */
  readonly columnGrid: Grid;
}

/**
 * Splits [B, C] into chunks of whole rows so that every per-chunk buffer fits one storage binding
 * and one dispatch dimension. The column records must fit one binding, and so must one row.
 */
export function planChunks(batch: number, classes: number, bounds: DeviceBounds): ChunkPlan {
  const { maxBindingBytes, maxWorkgroupsPerDimension, columnTile, rowsPerGroup } = bounds;
  const rowBytes = classes * 4;
  if (rowBytes > maxBindingBytes || classes * COLUMN_RECORD_BYTES > maxBindingBytes) {
    throw new BackendRuntimeError(
      'webgpu',
      `C = ${classes} classes is too many for this device: one row needs ${rowBytes} bytes and the column ` +
        `records ${classes * COLUMN_RECORD_BYTES} bytes, but a storage binding holds at most ${maxBindingBytes} ` +
        `bytes (C <= ${Math.floor(maxBindingBytes / COLUMN_RECORD_BYTES)} here)`,
    );
  }
  const rowsPerChunk = Math.min(
    batch,
    Math.floor(maxBindingBytes / rowBytes),
    Math.floor(maxBindingBytes / ROW_RECORD_BYTES),
    maxWorkgroupsPerDimension,
  );
  const chunks: Chunk[] = [];
  for (let rowStart = 0; rowStart < batch; rowStart += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, batch - rowStart);
    chunks.push({ rowStart, rows, isLast: rowStart + rows === batch });
  }
  const grid = (groups: number): Grid => {
    const x = Math.min(groups, maxWorkgroupsPerDimension);
    return { x, y: Math.ceil(groups / x) };
  };
  return {
    batch,
    classes,
    chunks,
    rowGrid: (rows) => grid(Math.ceil(rows / rowsPerGroup)),
    columnGrid: grid(Math.ceil(classes / (columnTile * COLUMN_WIDTH))),
  };
}

/**
 * The plan for `device`'s limits and the kernels' shape; `maxBindingBytes` lowers the binding limit
 * (tests force the split with it).
 */
export function planForDevice(
  device: GPUDevice,
  batch: number,
  classes: number,
  shape: KernelShape,
  maxBindingBytes = Infinity,
): ChunkPlan {
  return planChunks(batch, classes, {
    maxBindingBytes: Math.min(device.limits.maxStorageBufferBindingSize, maxBindingBytes),
    maxWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
    columnTile: shape.columnTile,
    rowsPerGroup: shape.workgroupSize / shape.rowLanes,
  });
}

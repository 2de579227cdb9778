/// <reference types="@webgpu/types" preserve="true" />
/**
 * `@dist-kd/kernel-wgsl`: the DIST loss's WGSL kernels and the encoder that records them, with no
 * framework and no WebGPU implementation in it. Integrations (backend-webgpu's DistBackend, the
 * tfjs-webgpu op of backend-tfjs) bring the device, the buffers and the command encoder.
 */
export {
  COLUMN_RECORD_BYTES,
  COLUMN_WIDTH,
  DIST_FLAGS,
  HARDWARE_SHAPE,
  KERNELS,
  PARAMS_BYTES,
  ROW_RECORD_BYTES,
  SCALARS_BYTES,
  SOFTWARE_SHAPE,
  TERMS_OFFSET_BYTES,
  type KernelName,
  type KernelShape,
} from './kernels/index.js';
export { planChunks, planForDevice, type Chunk, type ChunkPlan, type DeviceBounds, type Grid } from './chunk-plan.js';
export { compileDistPipelines, distPipelines, type DistPipelines } from './pipelines.js';
export { DistWorkspace, type DistIo } from './workspace.js';
export { columnRecordsFromStatistics, statisticsFromColumnRecords, type MergedColumns } from './shards.js';
export { BufferUsage, MapMode } from './gpu-constants.js';
export { writableFloat32 } from './host-values.js';

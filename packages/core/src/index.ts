export {
  DistInputError,
  DistUsageError,
  BackendUnavailableError,
  BackendRuntimeError,
  degenerateError,
  unknownVariantError,
  type DistInputErrorCode,
  type DistUsageErrorCode,
} from './errors.js';
export { BackendLifecycle, type BoundCalls } from './lifecycle.js';
export { checkMemory, estimateBytes, hostMemoryLimit, memoryLimitOverride, MemoryLimitError, type MemoryLimit, type MemoryModel } from './memory.js';
export {
  ACTIVATIONS,
  DEFAULT_OPTIONS,
  EPS_MODES,
  PRESETS,
  resolveOptions,
  type Activation,
  type DistOptions,
  type DistPreset,
  type EpsMode,
  type PresetName,
} from './options.js';
export {
  validateRequest,
  logitLimit,
  tauRange,
  checkTauRange,
  checkLogitValues,
  type ValidateSettings,
  allocateGradient,
  copyLogits,
  type DistInput,
  type DistRequest,
  type DistResult,
  type Logits,
  type DenseShape,
  type Precision,
  type Shape,
} from './input.js';
export {
  DEFAULT_IGNORE_INDEX,
  LAYOUTS,
  checkFeatures,
  keptRowIndices,
  maskFromLabels,
  selectRows,
  withRowSelection,
  type BackendFeatures,
  type Layout,
  type RowMask,
  type RowSelection,
} from './rows.js';
export { composeLoss, epsPlacement, termWeights } from './numerics.js';
export { mergeColumnStatistics, type ColumnStatistics } from './statistics.js';
export {
  SHARD_STATISTICS_VERSION,
  checkShardStatisticsFor,
  emptyShardStatistics,
  mergeShardStatistics,
  mergedColumnTerms,
  readShardStatistics,
  shardStatistics,
  type MergedColumnTerms,
  type ShardStatistics,
  type ShardStatisticsView,
} from './shards.js';
export { referenceShardCompute, referenceShardStatistics } from './reference-shards.js';
export { referenceDist, referenceDistValidated, correlation } from './reference.js';
export type { Availability, BackendConfig, BackendModule, BoundDist, DistBackend, DistBinding, DistShards, DistTerms } from './backend.js';
export { AUTO_ORDER, BACKEND_PACKAGES, backendPackage, listBackends, loadBackend, type BackendSpec, type LoadOptions } from './registry.js';
export { createReferenceBackend } from './reference-backend.js';
export { isSoftwareAdapter, type AdapterInfoLike } from './adapter.js';
export { mulberry32 } from './random.js';
export { dawnWebGpu, DAWN_HINT, type DawnLookup, type DawnModule, type DawnWebGpu } from './node-webgpu.js';

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
export { referenceDist, referenceDistValidated, correlation } from './reference.js';
export type { Availability, BackendConfig, BackendModule, BoundDist, DistBackend, DistBinding, DistTerms } from './backend.js';
export { AUTO_ORDER, KNOWN_BACKENDS, loadBackend, type BackendSpec, type LoadOptions } from './registry.js';
export { createReferenceBackend } from './reference-backend.js';
export { isSoftwareAdapter, type AdapterInfoLike } from './adapter.js';

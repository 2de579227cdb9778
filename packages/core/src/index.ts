export { DistInputError, BackendUnavailableError, BackendRuntimeError, degenerateError, type DistInputErrorCode } from './errors.js';
export {
  DEFAULT_OPTIONS,
  EPS_MODES,
  PRESETS,
  resolveOptions,
  type DistOptions,
  type DistPreset,
  type EpsMode,
  type PresetName,
} from './options.js';
export {
  validateRequest,
  logitLimit,
  checkLogitValues,
  type ValidateSettings,
  allocateGradient,
  type DistInput,
  type DistRequest,
  type DistResult,
  type Logits,
  type Precision,
  type Shape,
} from './input.js';
export { composeLoss, epsPlacement, termWeights } from './numerics.js';
export { referenceDist, referenceDistValidated, correlation } from './reference.js';
export type { Availability, BackendConfig, BackendModule, BoundDist, DistBackend, DistBinding, DistTerms } from './backend.js';
export { AUTO_ORDER, KNOWN_BACKENDS, loadBackend, type BackendSpec, type LoadOptions } from './registry.js';
export { createReferenceBackend } from './reference-backend.js';
export { isSoftwareAdapter, type AdapterInfoLike } from './adapter.js';
export { dawnWebGpu, DAWN_HINT, type DawnLookup, type DawnModule, type DawnWebGpu } from './node-webgpu.js';

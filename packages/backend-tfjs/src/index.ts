export { distLoss, distLossFunction, type DistLossFunction, type DistLossOptions } from './dist-loss.js';
export { distillationLoss, type DistillationLossInputs } from './distillation-loss.js';
export { distillationFit, type DistillationFit, type DistillationFitSettings, type FitLoss } from './distillation-fit.js';
export { createBackend, TFJS_VARIANTS, VARIANTS } from './backend.js';
export { useTfjsPlatform, TFJS_PLATFORMS, type ReadyPlatform, type TfjsPlatform, type TfjsPlatformChoice } from './tfjs-platform.js';
// What a user of this package needs from core, so that installing this package alone is enough.
export { PRESETS, DEFAULT_OPTIONS, DistInputError, BackendUnavailableError, BackendRuntimeError, type DistOptions } from '@dist-kd/core';
// DIST across the shards of one batch: micro-batches, data-parallel workers.
export { distShardStatistics, distShardLoss, distLocalLoss, distStatisticsTerms, type DistShardOptions } from './dist-shards.js';
export { accumulateDistGradients, type AccumulatedGradients, type DistAccumulation } from './dist-accumulation.js';
export { mergeShardStatistics, type ShardStatistics } from '@dist-kd/core';

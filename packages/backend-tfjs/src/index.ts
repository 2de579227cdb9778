export { distLoss, distLossFunction, type DistLossOptions } from './dist-loss.js';
export { settleDistLossChecks } from './deferred-checks.js';
export { distillationLoss, type DistillationLossInputs } from './distillation-loss.js';
export { createBackend, TFJS_VARIANTS } from './backend.js';
export { useTfjsPlatform, TFJS_PLATFORMS, type ReadyPlatform, type TfjsPlatform, type TfjsPlatformChoice } from './tfjs-platform.js';

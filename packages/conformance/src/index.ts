export { runConformance, runCheck, requireAvailable, type CheckResult, type ConformanceOptions, type ConformanceReport } from './run.js';
export { defineConformanceTests, type DefineOptions } from './define-tests.js';
export { conformanceChecks } from './suite.js';
export { featureNames, featuresOf, offers, refusedFeatureNames, type BackendFeatures } from './features.js';
export { CheckFailure, type CheckContext, type ConformanceCheck } from './check.js';
export {
  GOLDEN_FORMAT,
  GoldenFormatError,
  parseGoldenFile,
  type GoldenCase,
  type GoldenFile,
  type GoldenTolerance,
} from './golden.js';
/** The seeded PRNG of the property checks, for tools that want the same portable stream (the bench). */
// Kept for existing callers; it lives in core now.
export { mulberry32 } from '@dist-kd/core';
export { BUNDLED_GOLDEN, GoldenReadError, goldenLabel, loadGoldenFile, loadGoldenFiles, loadGoldenFilesSync, type GoldenSource } from './golden-files.js';
export {
  FLOAT32_UNIT_ROUNDOFF,
  FLOAT64_SCALE,
  ROUNDING_SAMPLES,
  SAFETY,
  SOFTMAX_ROUNDINGS,
  forPrecision,
  referenceRounding,
  modelTolerance,
  termTolerance,
  type Tolerance,
  type ToleranceInput,
} from './tolerance.js';

import type { ConformanceCheck } from './check.js';
import { badInputChecks } from './checks/bad-input.js';
import { boundChecks } from './checks/bound.js';
import { callerChecks } from './checks/caller.js';
import { goldenChecks } from './checks/golden-checks.js';
import { invarianceChecks } from './checks/invariance.js';
import { contractChecks } from './checks/contract.js';
import { edgeCaseChecks } from './checks/edge-cases.js';
import { finiteDifferenceChecks } from './checks/finite-differences.js';
import { interleavingChecks } from './checks/interleavings.js';
import { lifecycleChecks } from './checks/lifecycle.js';
import { shardChecks } from './checks/shards.js';
import { valueChecks } from './checks/values.js';
import type { GoldenFile } from './golden.js';

/** Optional parts of `DistBackend` a backend offers, whose checks then run too. */
export interface BackendFeatures {
  /** `bind` (bound logits, the bench's resident mode). */
  readonly bind?: boolean;
  /** `shards` (a batch split across shards, exactly as the whole). */
  readonly shards?: boolean;
}

/** The optional features a backend object offers, from its own members. */
export function featuresOf(backend: { readonly bind?: unknown; readonly shards?: unknown }): BackendFeatures {
  return { bind: typeof backend.bind === 'function', shards: typeof backend.shards === 'object' && backend.shards !== null };
}

/** The names of the features in `features` that are on, for reports ("bind, shards"). */
export function featureNames(features: BackendFeatures): string[] {
  return (Object.keys(features) as (keyof BackendFeatures)[]).filter((name) => features[name] === true);
}

/**
 * Every check, in a fixed order: golden cases, properties, bad input, what callers do around their
 * calls (overlap, reused arrays, dispose), then the checks of the optional features the backend offers.
 */
export function conformanceChecks(golden: readonly GoldenFile[], features: BackendFeatures = {}): ConformanceCheck[] {
  const checks = [
    ...goldenChecks(golden),
    ...invarianceChecks(),
    ...valueChecks(),
    ...finiteDifferenceChecks(),
    ...contractChecks(),
    ...edgeCaseChecks(),
    ...badInputChecks(),
    ...callerChecks(),
    ...lifecycleChecks(),
    ...interleavingChecks(features.bind === true),
    ...(features.bind ? boundChecks() : []),
    ...(features.shards ? shardChecks(golden) : []),
  ];
  // Two golden files of the same file name would give two checks one name; number the repeats.
  const seen = new Map<string, number>();
  return checks.map((check) => {
    const count = (seen.get(check.name) ?? 0) + 1;
    seen.set(check.name, count);
    return count === 1 ? check : { ...check, name: `${check.name} (${count})` };
  });
}

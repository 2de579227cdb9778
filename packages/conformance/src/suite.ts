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

import type { BackendFeatures } from './features.js';
import { rowChecks } from './checks/rows.js';

/**
 * Every check, in a fixed order: golden cases, properties, bad input, what callers do around their
 * calls (overlap, reused arrays, dispose), then the checks of the optional features the backend offers.
 */
export function conformanceChecks(golden: readonly GoldenFile[], features: BackendFeatures = {}): ConformanceCheck[] {
  const checks = [
    ...goldenChecks(golden, features),
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
    ...(features.shards ? shardChecks(golden, features) : []),
    ...rowChecks(features),
  ];
  // Two golden files of the same file name would give two checks one name; number the repeats.
  const seen = new Map<string, number>();
  return checks.map((check) => {
    const count = (seen.get(check.name) ?? 0) + 1;
    seen.set(check.name, count);
    return count === 1 ? check : { ...check, name: `${check.name} (${count})` };
  });
}

import type { ConformanceCheck } from './check.js';
import { badInputChecks } from './checks/bad-input.js';
import { goldenChecks } from './checks/golden-checks.js';
import { invarianceChecks } from './checks/invariance.js';
import { contractChecks } from './checks/contract.js';
import { edgeCaseChecks } from './checks/edge-cases.js';
import { finiteDifferenceChecks } from './checks/finite-differences.js';
import { valueChecks } from './checks/values.js';
import type { GoldenFile } from './golden.js';

/** Every check, in a fixed order: golden cases, properties, bad input. */
export function conformanceChecks(golden: readonly GoldenFile[]): ConformanceCheck[] {
  const checks = [
    ...goldenChecks(golden),
    ...invarianceChecks(),
    ...valueChecks(),
    ...finiteDifferenceChecks(),
    ...contractChecks(),
    ...edgeCaseChecks(),
    ...badInputChecks(),
  ];
  // Two golden files of the same file name would give two checks one name; number the repeats.
  const seen = new Map<string, number>();
  return checks.map((check) => {
    const count = (seen.get(check.name) ?? 0) + 1;
    seen.set(check.name, count);
    return count === 1 ? check : { ...check, name: `${check.name} (${count})` };
  });
}

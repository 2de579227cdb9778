import type { ConformanceCheck } from './check.js';
import { badInputChecks } from './checks/bad-input.js';
import { goldenChecks } from './checks/golden-checks.js';
import { invarianceChecks } from './checks/invariance.js';
import { numericsChecks } from './checks/numerics.js';
import type { GoldenFile } from './golden.js';

/** Every check, in a fixed order: golden cases, invariances, numerics, bad input. */
export function conformanceChecks(golden: readonly GoldenFile[]): ConformanceCheck[] {
  const checks = [...goldenChecks(golden), ...invarianceChecks(), ...numericsChecks(), ...badInputChecks()];
  // Two golden files of the same file name would give two checks one name; number the repeats.
  const seen = new Map<string, number>();
  return checks.map((check) => {
    const count = (seen.get(check.name) ?? 0) + 1;
    seen.set(check.name, count);
    return count === 1 ? check : { ...check, name: `${check.name} (${count})` };
  });
}

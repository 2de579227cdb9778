/** Running the suite on one backend and collecting a verdict per check. */
import { BackendUnavailableError, loadBackend, type BackendSpec, type DistBackend, type Precision } from '@dist-kd/core';
import { describeError } from './backend-calls.js';
import { checkContext, type ConformanceCheck } from './check.js';
import { BUNDLED_GOLDEN, loadGoldenFiles, type GoldenSource } from './golden-files.js';
import { featuresOf, type BackendFeatures } from './features.js';
import { conformanceChecks } from './suite.js';

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** Why it failed; empty when it passed. */
  readonly message: string;
}

export interface ConformanceReport {
  readonly backend: string;
  readonly precision: Precision;
  /** The optional features the backend offers, whose checks ran too. */
  readonly features: BackendFeatures;
  readonly passed: number;
  readonly failed: number;
  readonly results: readonly CheckResult[];
}

export interface ConformanceOptions {
  /** Golden files to check besides the bundled ones: paths, URLs or parsed files. */
  readonly golden?: readonly GoldenSource[];
  /** Check the golden files this package ships (default true). */
  readonly bundledGolden?: boolean;
  /** Called as each check finishes. */
  readonly onResult?: (result: CheckResult) => void;
  /** A check that has not settled after this long fails, so a hung backend cannot stall the suite. */
  readonly checkTimeoutMs?: number;
  /**
   * Makes a new backend of the kind under test, for the checks that dispose one (lifecycle). Needed
   * only when `spec` is a backend object; a name or module is loaded again instead.
   */
  readonly createBackend?: () => DistBackend | Promise<DistBackend>;
}

const DEFAULT_CHECK_TIMEOUT_MS = 120_000;

/**
 * Runs every check on a backend: a name `loadBackend` knows, a module path, a module or a backend.
 * Throws BackendUnavailableError (code BACKEND_UNAVAILABLE) when the backend cannot run here; it
 * never falls back to another. A backend it loaded itself is disposed afterwards.
 */
export async function runConformance(spec: BackendSpec, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const golden = await loadGoldenFiles(goldenSources(options));
  const backend = await loadBackend(spec);
  const loadedHere = backend !== spec;
  try {
    await requireAvailable(backend);
    const results: CheckResult[] = [];
    const features = featuresOf(backend);
    const create = options.createBackend ?? (loadedHere ? () => loadBackend(spec) : undefined);
    for (const check of conformanceChecks(golden, features)) {
      const result = await runCheck(check, backend, options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS, create && (async () => create()));
      results.push(result);
      options.onResult?.(result);
    }
    const passed = results.filter((r) => r.ok).length;
    return { backend: backend.name, precision: backend.precision, features, passed, failed: results.length - passed, results };
  } finally {
    if (loadedHere) await backend.dispose();
  }
}

export function goldenSources(options: Pick<ConformanceOptions, 'golden' | 'bundledGolden'>): GoldenSource[] {
  return [...(options.bundledGolden === false ? [] : BUNDLED_GOLDEN), ...(options.golden ?? [])];
}

/** Throws BackendUnavailableError with the backend's reason and hint when it cannot run here. */
export async function requireAvailable(backend: DistBackend): Promise<void> {
  const availability = await backend.availability();
  if (!availability.available) throw new BackendUnavailableError(backend.name, availability.reason, availability.hint);
}

/** Runs one check with a time limit; `create` makes the fresh backends it may ask for. */
export async function runCheck(
  check: ConformanceCheck,
  backend: DistBackend,
  timeoutMs: number,
  create?: () => Promise<DistBackend>,
): Promise<CheckResult> {
  const { context, disposeFresh } = checkContext(create);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([check.run(backend, context), timeout]);
    return { name: check.name, ok: true, message: '' };
  } catch (error) {
    const message = (error as Error | null)?.name === 'CheckFailure' ? (error as Error).message : `threw ${describeError(error)}`;
    return { name: check.name, ok: false, message };
  } finally {
    clearTimeout(timer);
    await disposeFresh();
  }
}

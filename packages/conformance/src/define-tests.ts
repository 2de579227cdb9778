/**
 * Registers the conformance checks as test cases of any framework with test/describe functions
 * (vitest, node:test, jest, mocha), so that a backend's own test file is a few lines.
 */
import { loadBackend, type BackendSpec, type DistBackend } from '@dist-kd/core';
import { loadGoldenFilesSync, type GoldenSource } from './golden-files.js';
import { checkContext } from './check.js';
import { goldenSources, requireAvailable } from './run.js';
import type { BackendFeatures } from './features.js';
import { conformanceChecks } from './suite.js';

export interface DefineOptions {
  /** The framework's `test` (or `it`). */
  readonly test: (name: string, fn: () => Promise<void>) => unknown;
  /** The framework's `describe`; the tests are grouped under `title` when given. */
  readonly describe?: (name: string, fn: () => void) => unknown;
  /** The framework's `afterAll` (`after` in node:test): disposes the backend when given. */
  readonly afterAll?: (fn: () => Promise<void>) => unknown;
  readonly title?: string;
  /** Golden files besides the bundled ones. */
  readonly golden?: readonly GoldenSource[];
  readonly bundledGolden?: boolean;
  /**
   * The optional features the backend offers, whose checks are registered too (the tests are
   * registered before the backend exists, so they are declared, as abstract-level's manifests do).
   * A declared feature the backend lacks fails its checks.
   */
  readonly features?: BackendFeatures;
}

/**
 * `create` makes the backend once, when the first test runs: a factory, or anything `loadBackend`
 * takes. An unavailable backend fails every test with its reason; nothing is skipped.
 */
export function defineConformanceTests(create: (() => DistBackend | Promise<DistBackend>) | BackendSpec, options: DefineOptions): void {
  const golden = loadGoldenFilesSync(goldenSources(options));
  let backend: Promise<DistBackend> | undefined;
  const ready = () =>
    (backend ??= (async () => {
      const made = typeof create === 'function' ? await create() : await loadBackend(create);
      await requireAvailable(made);
      return made;
    })());
  const fresh = async () => (typeof create === 'function' ? create() : loadBackend(create));
  const register = () => {
    for (const check of conformanceChecks(golden, options.features)) {
      options.test(check.name, async () => {
        const { context, disposeFresh } = checkContext(fresh);
        try {
          await check.run(await ready(), context);
        } finally {
          await disposeFresh();
        }
      });
    }
    options.afterAll?.(async () => {
      const made = await backend?.catch(() => undefined);
      await made?.dispose();
    });
  };
  if (options.describe) options.describe(options.title ?? 'DIST backend conformance', register);
  else register();
}

import type { DistBackend } from '@dist-kd/core';

/** What a check may ask of the runner besides the backend under test. */
export interface CheckContext {
  /**
   * A new backend of the same kind, for a check that disposes one (lifecycle, dispose during a
   * call); the runner disposes it after the check. Fails the check when the runner was given a
   * backend object rather than something it can create backends from.
   */
  freshBackend(): Promise<DistBackend>;
}

/** One conformance check: a name and a test of a backend. */
export interface ConformanceCheck {
  /** Stable and unique, e.g. "golden/design-note/small_4x5" or "bad-input/NON_FINITE/nan-student". */
  readonly name: string;
  /** Rejects with a message that says what differed when the backend does not conform. */
  run(backend: DistBackend, context: CheckContext): Promise<void>;
}

/** A check's verdict on a backend. */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
}

export function fail(message: string): never {
  throw new CheckFailure(message);
}

const FRESH_DISPOSE_LIMIT_MS = 10_000;

/**
 * A context whose fresh backends come from `create` (checked to be available), and a function that
 * disposes the ones a check made. Without `create`, `freshBackend` fails the check that asks.
 */
export function checkContext(create: (() => Promise<DistBackend>) | undefined): { context: CheckContext; disposeFresh(): Promise<void> } {
  const made: DistBackend[] = [];
  return {
    context: {
      async freshBackend() {
        if (!create) {
          fail('this check needs backends of its own: give the runner a backend name, module or factory, not a backend object');
        }
        const backend = await create();
        made.push(backend);
        const availability = await backend.availability();
        if (!availability.available) fail(`a fresh backend is unavailable: ${availability.reason}`);
        return backend;
      },
    },
    async disposeFresh() {
      // A check may have disposed them already (dispose is idempotent); an error or a hang here is
      // not the check's verdict, and must not stall the runner.
      const disposing = Promise.all(made.splice(0).map((backend) => backend.dispose().catch(() => undefined)));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const limit = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, FRESH_DISPOSE_LIMIT_MS);
      });
      await Promise.race([disposing, limit]);
      clearTimeout(timer);
    },
  };
}

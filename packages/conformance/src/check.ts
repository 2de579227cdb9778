import type { DistBackend } from '@dist-kd/core';

/** One conformance check: a name and a test of a backend. */
export interface ConformanceCheck {
  /** Stable and unique, e.g. "golden/design-note/small_4x5" or "bad-input/NON_FINITE/nan-student". */
  readonly name: string;
  /** Rejects with a message that says what differed when the backend does not conform. */
  run(backend: DistBackend): Promise<void>;
}

/** A check's verdict on a backend. */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
}

export function fail(message: string): never {
  throw new CheckFailure(message);
}

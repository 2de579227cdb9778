/** A mistake in how the bench was called (an argument, a report file): the CLI prints it and exits 2. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
  readonly code = 'BENCH_USAGE' as const;
}

/** Errors compare by code: the CLI may meet a second copy of this module. */
export function isUsageError(error: unknown): error is BenchUsageError {
  return (error as { code?: unknown } | null)?.code === 'BENCH_USAGE';
}

/**
 * The C allocator settings the Node bench runs under.
 *
 * Every call of a backend returns a fresh gradient array of B*C floats (1-4 MiB at the target
 * sizes). With glibc's defaults such an array is often served from freshly mapped pages (above the
 * mmap threshold, or after the heap was trimmed when the garbage collector freed the last ones), and
 * each new page costs a page fault on first write. On this project's 2-core VMs a fault costs about
 * 13 µs (`node apps/bench/scripts/page-fault-cost.mjs`), so a 4 MiB array can add 13 ms to a call
 * whose arithmetic takes 6 ms, at random depending on when V8 last collected. Raising the mmap and trim thresholds lets freed arrays be
 * reused instead. The same settings apply to every backend and baseline (PyTorch inherits them) and
 * the report states them.
 */
import { spawnSync } from 'node:child_process';

export const ALLOCATOR_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(64 * 2 ** 20),
  MALLOC_TRIM_THRESHOLD_: String(2 ** 30),
};

/** The allocator settings in effect, for the report; undefined where none of them is set. */
export function allocatorSettings(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const set = Object.keys(ALLOCATOR_ENV).filter((name) => env[name] !== undefined);
  return set.length ? `glibc malloc ${set.map((name) => `${name}=${env[name]}`).join(' ')}` : undefined;
}

/**
 * On Linux, when none of the settings is in the environment yet, runs this same command again with
 * them (glibc reads them only at start-up) and returns its exit code; otherwise undefined, and the
 * caller goes on in this process. A setting the user made is left as it is.
 */
export function rerunWithAllocatorSettings(): number | undefined {
  if (process.platform !== 'linux' || allocatorSettings() !== undefined) return undefined;
  const result = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...ALLOCATOR_ENV },
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

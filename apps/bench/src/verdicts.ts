/**
 * The answer a run exists for, one line per comparison, hyperfine-style:
 * "tfjs-wasm ran 9.40 ± 0.40 times faster than tfjs-naive-wasm at 1024x1000 (forward+backward)".
 */
import { BASELINE_OF, CEILING_OF } from './baselines.js';
import type { BenchReport, ResultEntry } from './report.js';
import { OPS, sizeLabel, sortSizes, uniqueSizes, type Op } from './sizes.js';

/** MAD times this estimates a normal distribution's standard deviation. */
const MAD_TO_SD = 1.4826;

export interface Verdict {
  readonly backend: string;
  /** What the backend is compared with: its baseline, or (kind `ceiling`) the native ceiling. */
  readonly baseline: string;
  readonly kind: 'baseline' | 'ceiling';
  readonly batch: number;
  readonly classes: number;
  readonly op: Op;
  /** Baseline median over backend median: above 1 the backend is faster. Absent without a measured pair. */
  readonly ratio?: number;
  /** One standard deviation of the ratio, propagated from both sides' spreads. */
  readonly ratio_sd?: number;
  /** Why there is no ratio (the backend or its baseline was skipped or failed, or the baseline is unavailable). */
  readonly missing?: string;
}

/**
 * One verdict per backend result whose baseline took part in the run (a ratio, or why there is none). The spread of each
 * median is estimated as 1.4826 * MAD (robust against the outliers a busy machine adds) and
 * propagated: sd(r)/r = sqrt((sd(a)/a)^2 + (sd(b)/b)^2).
 */
export function verdicts(report: Pick<BenchReport, 'backends' | 'results'>): Verdict[] {
  const inRun = new Map(report.backends.map((b) => [b.name, b]));
  const comparisons = [['baseline', BASELINE_OF], ['ceiling', CEILING_OF]] as const;
  const out: Verdict[] = [];
  for (const op of OPS) {
    for (const size of sortSizes(uniqueSizes(report.results.filter((r) => r.op === op)))) {
      for (const [kind, against] of comparisons) {
        for (const result of report.results) {
          if (result.op !== op || result.batch !== size.batch || result.classes !== size.classes) continue;
          const baseline = against[result.backend];
          const entry = baseline === undefined ? undefined : inRun.get(baseline);
          if (!entry) continue;
          out.push(verdictOf({ backend: result.backend, baseline: baseline!, kind, batch: size.batch, classes: size.classes, op }, result, entry, report));
        }
      }
    }
  }
  return out;
}

/** The ratio of one pair at one size and op, or why there is none. */
function verdictOf(
  common: Omit<Verdict, 'ratio' | 'ratio_sd' | 'missing'>,
  result: ResultEntry,
  entry: BenchReport['backends'][number],
  report: Pick<BenchReport, 'results'>,
): Verdict {
  const { baseline, op, batch, classes } = common;
  if (result.status !== 'measured') return { ...common, missing: `${result.backend} was ${result.status}: ${result.reason}` };
  if (!entry.available) return { ...common, missing: `${baseline} is unavailable here: ${entry.reason}` };
  const base = report.results.find((r) => r.backend === baseline && r.op === op && r.batch === batch && r.classes === classes);
  if (!base || base.status !== 'measured') {
    return { ...common, missing: base ? `${baseline} was ${base.status}: ${base.reason}` : `${baseline} was not timed at this size` };
  }
  const ratio = base.median_ms! / result.median_ms!;
  const relative = Math.hypot(MAD_TO_SD * spread(base), MAD_TO_SD * spread(result));
  return { ...common, ratio, ratio_sd: ratio * relative };
}

function spread(result: ResultEntry): number {
  return result.rel_mad ?? 0;
}

/** "a ran 9.40 ± 0.40 times faster than b at 1024x1000 (forward+backward)". */
export function verdictLine(v: Verdict): string {
  const where = `at ${sizeLabel(v)} (${v.op})`;
  if (v.ratio === undefined) return `${v.backend} vs ${v.baseline} ${where}: no ratio, ${v.missing}`;
  if (v.kind === 'ceiling') {
    // How many times the ceiling's time the backend takes: the inverse ratio, same relative spread.
    const times = 1 / v.ratio;
    return `${v.backend} took ${formatFactor(times, times * (v.ratio_sd! / v.ratio))} times the time of ${v.baseline} ${where}`;
  }
  const faster = v.ratio >= 1;
  // The slower case reads as the inverse ratio, whose relative spread is the same.
  const value = faster ? v.ratio : 1 / v.ratio;
  const sd = value * (v.ratio_sd! / v.ratio);
  return `${v.backend} ran ${formatFactor(value, sd)} times ${faster ? 'faster' : 'slower'} than ${v.baseline} ${where}`;
}

/** Both numbers to the precision the uncertainty allows: two significant digits of it, at most 3 decimals. */
export function formatFactor(value: number, sd: number): string {
  const decimals = sd > 0 ? Math.min(3, Math.max(0, 1 - Math.floor(Math.log10(sd)))) : 2;
  return `${value.toFixed(decimals)} ± ${sd.toFixed(decimals)}`;
}

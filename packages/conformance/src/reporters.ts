/**
 * How the CLI writes its results: `text` for people (one FAIL line per failed check, then the
 * totals), and `json`, `junit` and `tap` for CI systems, each a whole document on stdout.
 */
import { featureNames, refusedFeatureNames } from './features.js';
import type { CheckResult, ConformanceReport } from './run.js';

export const REPORTERS = ['text', 'json', 'junit', 'tap'] as const;
export type ReporterName = (typeof REPORTERS)[number];

/** A check's result with the time it took, as the CLI measured it. */
export interface TimedResult extends CheckResult {
  readonly ms: number;
}

export interface Reporter {
  /** Called as each check finishes; returns text to print then, if any. */
  onResult(result: TimedResult): string | undefined;
  /** The text to print once the suite has finished. */
  end(report: ConformanceReport, results: readonly TimedResult[]): string;
}

export function createReporter(name: ReporterName, verbose: boolean): Reporter {
  switch (name) {
    case 'json':
      return { onResult: () => undefined, end: jsonReport };
    case 'junit':
      return { onResult: () => undefined, end: junitReport };
    case 'tap':
      return { onResult: () => undefined, end: tapReport };
    case 'text':
      return {
        onResult: (result) => (!result.ok ? `FAIL ${result.name}: ${result.message}` : verbose ? `ok   ${result.name}` : undefined),
        // The totals stay the last line, for scripts that read it.
        end: (report) =>
          `optional features checked: ${featureNames(report.features).join(', ') || 'none'}` +
          `${refusedFeatureNames(report.features).length ? `; not offered (refusal checked): ${refusedFeatureNames(report.features).join(', ')}` : ''}\n` +
          `${report.passed} passed, ${report.failed} failed`,
      };
  }
}

function jsonReport(report: ConformanceReport, results: readonly TimedResult[]): string {
  return JSON.stringify(
    {
      format: 'dist-kd-conformance/1',
      backend: report.backend,
      precision: report.precision,
      features: report.features,
      passed: report.passed,
      failed: report.failed,
      results: results.map(({ name, ok, message, ms }) => ({ name, ok, ...(ok ? {} : { message }), ms })),
    },
    null,
    2,
  );
}

/** JUnit XML as Jenkins, GitLab and GitHub test reporters read it: one testcase per check. */
function junitReport(report: ConformanceReport, results: readonly TimedResult[]): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const total = results.reduce((sum, r) => sum + r.ms, 0);
  const cases = results.map((r) => {
    // "golden/design-note/small_4x5": the part before the last slash groups the checks.
    const slash = r.name.lastIndexOf('/');
    const classname = slash > 0 ? r.name.slice(0, slash) : 'conformance';
    const name = slash > 0 ? r.name.slice(slash + 1) : r.name;
    const open = `    <testcase classname="${xml(classname)}" name="${xml(name)}" time="${seconds(r.ms)}"`;
    return r.ok ? `${open}/>` : `${open}>\n      <failure message="${xml(r.message)}">${xml(r.message)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="dist-kd-conformance" tests="${results.length}" failures="${report.failed}" time="${seconds(total)}">`,
    `  <testsuite name="${xml(report.backend)}" tests="${results.length}" failures="${report.failed}" errors="0" time="${seconds(total)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
  ].join('\n');
}

/** TAP version 14: a plan, one line per check, a YAML block with the reason under a failure. */
function tapReport(report: ConformanceReport, results: readonly TimedResult[]): string {
  const lines = ['TAP version 14', `1..${results.length}`];
  results.forEach((r, index) => {
    // '#' starts a directive in TAP and would turn a name into a SKIP or TODO.
    const name = r.name.replace(/#/g, '\\#');
    lines.push(`${r.ok ? 'ok' : 'not ok'} ${index + 1} - ${name}`);
    if (!r.ok) lines.push('  ---', `  message: ${JSON.stringify(r.message)}`, `  duration_ms: ${r.ms.toFixed(1)}`, '  ...');
  });
  lines.push(`# ${report.backend}: ${report.passed} passed, ${report.failed} failed`);
  return lines.join('\n');
}

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // Characters XML 1.0 cannot hold at all (control characters from a backend's message).
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '');
}

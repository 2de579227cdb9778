/**
 * What each backend's speed is judged against, and the comparisons a default run times: every
 * backend next to its baseline at the headline sizes.
 */
import type { Size } from './sizes.js';

/**
 * Each backend's baseline: the naive tfjs port on the same tfjs backend (the program a tfjs user
 * would otherwise write), or the design note's PyTorch code for the native CPU paths.
 */
export const BASELINE_OF: Readonly<Record<string, string>> = Object.freeze({
  cpu: 'pytorch',
  'cpu-float64': 'pytorch',
  'tfjs-node': 'pytorch',
  'tfjs-wasm': 'tfjs-naive-wasm',
  'tfjs-ops-wasm': 'tfjs-naive-wasm',
  'tfjs-cpu': 'tfjs-naive-cpu',
  'tfjs-ops-cpu': 'tfjs-naive-cpu',
  webgpu: 'tfjs-naive-webgpu',
  'tfjs-webgpu': 'tfjs-naive-webgpu',
  'tfjs-webgl': 'tfjs-naive-webgl',
});

export const BASELINES: readonly string[] = [...new Set(Object.values(BASELINE_OF))];

/**
 * What the CPU paths are also measured against: the native ceiling (`native/dist_ceiling.c`), what
 * this machine does with the same arithmetic in C; a verdict says how many times its time a path takes.
 */
export const CEILING_OF: Readonly<Record<string, string>> = Object.freeze({
  cpu: 'native-ceiling',
  'cpu-float64': 'native-ceiling',
  'tfjs-wasm': 'native-ceiling',
  'tfjs-cpu': 'native-ceiling',
});

export function isBaseline(name: string): boolean {
  return BASELINES.includes(name);
}

/**
 * The sizes the headline comparisons are stated at (the tfjs and WebGPU targets); a default run
 * times only these, and baselines are always timed at them, however slow, so no ratio is missing.
 */
export const HEADLINE_SIZES: readonly Size[] = [
  { batch: 256, classes: 1000 },
  { batch: 1024, classes: 1000 },
];

export function isHeadlineSize(size: Size): boolean {
  return HEADLINE_SIZES.some((s) => s.batch === size.batch && s.classes === size.classes);
}

/**
 * A default run's backends in Node: each product path next to its baseline (the browser-only
 * tfjs-webgl pair is the page's and `--browser`'s).
 */
export const HEADLINE_BACKENDS: readonly string[] = [...pairs(['cpu', 'tfjs-node', 'tfjs-wasm', 'tfjs-cpu', 'webgpu', 'tfjs-webgpu']), 'native-ceiling'];

/** The same in a browser page. */
export const PAGE_HEADLINE_BACKENDS: readonly string[] = pairs(['webgpu', 'tfjs-webgpu', 'tfjs-webgl', 'tfjs-wasm', 'tfjs-cpu', 'cpu']).filter(
  (name) => name !== 'pytorch',
);

/** The backends followed by their baselines, each once. */
function pairs(backends: readonly string[]): string[] {
  return [...new Set([...backends, ...backends.map((name) => BASELINE_OF[name]!)])];
}

/** Problem sizes [B, C] and the grids the bench runs over. */
import { BenchUsageError } from './errors.js';

export interface Size {
  readonly batch: number;
  readonly classes: number;
}

/** What is timed: the loss alone, or the loss and its gradient with respect to the student. */
export const OPS = ['forward', 'forward+backward'] as const;
export type Op = (typeof OPS)[number];

/** The sizes the backends' performance targets are stated at. */
export const TARGET_SIZES: readonly Size[] = [
  { batch: 256, classes: 1000 },
  { batch: 1024, classes: 1000 },
  { batch: 128, classes: 32000 },
];

/** The full grid: from a small head to large vocabularies, plus the target sizes. */
export const FULL_SIZES: readonly Size[] = sortSizes([
  { batch: 64, classes: 100 },
  ...TARGET_SIZES,
  { batch: 4096, classes: 100 },
  { batch: 32, classes: 32000 },
  { batch: 8, classes: 128000 },
]);

export function sizeLabel(size: Size): string {
  return `${size.batch}x${size.classes}`;
}

export function elements(size: Size): number {
  return size.batch * size.classes;
}

export function sameSize(a: Size, b: Size): boolean {
  return a.batch === b.batch && a.classes === b.classes;
}

/** Smallest first (by B*C, then by C), so a backend too slow at one size is not tried at larger ones. */
export function sortSizes(sizes: readonly Size[]): Size[] {
  return [...sizes].sort((a, b) => elements(a) - elements(b) || a.classes - b.classes);
}

/** Parses "1024x1000" (B x C). */
export function parseSize(text: string): Size {
  const match = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(text);
  const batch = Number(match?.[1]);
  const classes = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(batch) || !Number.isSafeInteger(classes) || batch < 1 || classes < 1) {
    throw new BenchUsageError(`size "${text}" is not BxC with two positive integers, e.g. 1024x1000`);
  }
  return { batch, classes };
}

/** Parses "64x100,1024x1000": sorted, duplicates dropped. */
export function parseSizes(list: string): Size[] {
  const sizes: Size[] = [];
  for (const part of list.split(',')) {
    if (part.trim() === '') continue;
    const size = parseSize(part);
    if (!sizes.some((s) => sameSize(s, size))) sizes.push(size);
  }
  if (sizes.length === 0) throw new BenchUsageError(`--sizes "${list}" names no size; e.g. --sizes 256x1000,128x32000`);
  return sortSizes(sizes);
}

/** The distinct sizes of a list of results, in first-seen order. */
export function uniqueSizes(results: readonly Size[]): Size[] {
  const seen = new Map<string, Size>();
  for (const r of results) seen.set(sizeLabel(r), { batch: r.batch, classes: r.classes });
  return [...seen.values()];
}

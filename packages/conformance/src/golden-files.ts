/**
 * Reading golden files. The bundled ones ship in this package's `golden/` folder. Node's fs is
 * reached without a static import so that the rest of the package also bundles for browsers, where
 * a golden file is fetched from its URL instead.
 */
import { GoldenFormatError, parseGoldenFile, type GoldenFile } from './golden.js';

/** The golden files this package ships: the design note's eps placement, the official one, and SPEC "Extensions" (masks, sigmoid, dense layouts, tau_squared, wider rows). */
export const BUNDLED_GOLDEN: readonly URL[] = Object.freeze([
  new URL('../golden/design-note.json', import.meta.url),
  new URL('../golden/official.json', import.meta.url),
  new URL('../golden/extensions.json', import.meta.url),
]);

export type GoldenSource = string | URL | GoldenFile;

/** Reads and checks golden files (paths, URLs, or already parsed files); the bundled ones by default. */
export async function loadGoldenFiles(sources: readonly GoldenSource[] = BUNDLED_GOLDEN): Promise<GoldenFile[]> {
  return Promise.all(sources.map(loadGoldenFile));
}

export async function loadGoldenFile(source: GoldenSource): Promise<GoldenFile> {
  if (!isPathOrUrl(source)) return source;
  const fs = nodeFs();
  let text: string;
  try {
    text = fs ? await fs.promises.readFile(source, 'utf8') : await fetchText(source);
  } catch (error) {
    throw unreadable(source, error);
  }
  return parse(text, source);
}

async function fetchText(source: string | URL): Promise<string> {
  const response = await fetch(source);
  if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { code: `HTTP_${response.status}` });
  return response.text();
}

/** A golden file that cannot be read: a sentence with the path and what to do, not `ENOENT: ...`. */
export class GoldenReadError extends Error {
  override readonly name = 'GoldenReadError';
  readonly code = 'GOLDEN_UNREADABLE';
}

function unreadable(source: string | URL, error: unknown): GoldenReadError {
  const label = labelOf(source);
  const code = (error as { code?: string } | null)?.code;
  const why =
    code === 'ENOENT' || code === 'HTTP_404'
      ? 'does not exist'
      : code === 'EISDIR'
        ? 'is a folder, not a file'
        : code === 'EACCES'
          ? 'cannot be read (permission denied)'
          : `cannot be read (${(error as Error)?.message ?? error})`;
  return new GoldenReadError(
    `golden file ${label} ${why}; --golden takes a dist-golden/1 JSON file (make one with ` +
      '`python3 scripts/generate_golden.py --out DIR` from @dist-kd/conformance)',
    { cause: error },
  );
}

/** The same, synchronously, for registering one test per case; Node only. */
export function loadGoldenFilesSync(sources: readonly GoldenSource[] = BUNDLED_GOLDEN): GoldenFile[] {
  const fs = nodeFs();
  return sources.map((source) => {
    if (!isPathOrUrl(source)) return source;
    if (!fs) throw new Error('loadGoldenFilesSync needs Node >= 20.16; elsewhere use await loadGoldenFiles()');
    let text: string;
    try {
      text = fs.readFileSync(source, 'utf8');
    } catch (error) {
      throw unreadable(source, error);
    }
    return parse(text, source);
  });
}

/** A short name for check names: the file name without `.json`. */
export function goldenLabel(file: GoldenFile): string {
  const source = file.source ?? 'golden';
  return source.replace(/^.*[\\/]/, '').replace(/\.json$/i, '');
}

function labelOf(source: string | URL): string {
  return source instanceof URL && source.protocol === 'file:' ? decodeURIComponent(source.pathname) : String(source);
}

function parse(text: string, source: string | URL): GoldenFile {
  const label = labelOf(source);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new GoldenFormatError(`${label}: not valid JSON (${(error as Error).message})`);
  }
  return parseGoldenFile(document, label);
}

function isPathOrUrl(source: GoldenSource): source is string | URL {
  return typeof source === 'string' || source instanceof URL;
}

type NodeFs = typeof import('node:fs');

function nodeFs(): NodeFs | undefined {
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    ?.getBuiltinModule;
  return typeof getBuiltin === 'function' ? (getBuiltin('node:fs') as NodeFs) : undefined;
}

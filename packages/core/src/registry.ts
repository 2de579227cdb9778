/**
 * Picking a backend by name or module without core depending on any backend package: a name maps
 * to a module specifier and a variant, and the module is imported only when asked for.
 */
import { BackendUnavailableError } from './errors.js';
import type { BackendModule, DistBackend } from './backend.js';
import { createReferenceBackend } from './reference-backend.js';

/**
 * Which package serves a backend name: the name's first dash-separated part. The rest of the name is
 * the variant that package's `createBackend` gets (`tfjs-ops-wasm`: @dist-kd/backend-tfjs, variant
 * `ops-wasm`); the part alone is the package's default (`cpu`, `webgpu`, `tfjs`). The names
 * themselves come from each package's `VARIANTS` export (`listBackends`), so no list of them is kept
 * here: a package that adds a variant adds a name.
 */
export const BACKEND_PACKAGES: Readonly<Record<string, string>> = Object.freeze({
  cpu: '@dist-kd/backend-cpu',
  webgpu: '@dist-kd/backend-webgpu',
  tfjs: '@dist-kd/backend-tfjs',
});

/** The package and variant a backend name maps to; undefined for a name no package prefix claims. */
export function backendPackage(name: string): { readonly module: string; readonly variant?: string } | undefined {
  const prefix = name.split('-', 1)[0]!;
  const module = Object.hasOwn(BACKEND_PACKAGES, prefix) ? BACKEND_PACKAGES[prefix] : undefined;
  if (module === undefined) return undefined;
  const variant = name.slice(prefix.length + 1);
  return variant ? { module, variant } : { module };
}

/**
 * Every backend name the installed backend packages offer: each package's default (its prefix) and
 * one name per entry of its `VARIANTS` export (`readonly string[]`, the variants besides the
 * default). Packages that are not installed are left out; one that fails to load for another reason
 * throws.
 */
export async function listBackends(options: LoadOptions = {}): Promise<string[]> {
  const importModule = options.importModule ?? importFromProject;
  const names: string[] = [];
  for (const [prefix, specifier] of Object.entries(BACKEND_PACKAGES)) {
    let module: unknown;
    try {
      module = await importModule(specifier);
    } catch (error) {
      if (isModuleNotFound(error)) continue;
      throw error;
    }
    const variants = (module as { VARIANTS?: unknown } | null)?.VARIANTS;
    names.push(prefix, ...(Array.isArray(variants) ? variants.map((variant) => `${prefix}-${String(variant)}`) : []));
  }
  return names;
}

/** `auto` takes the first of these that is installed and available, preferring hardware to emulation. */
export const AUTO_ORDER: readonly string[] = ['webgpu', 'tfjs-node', 'cpu'];

export type BackendSpec = string | DistBackend | BackendModule;

export interface LoadOptions {
  /** Imports a module specifier; defaults to resolving from the current working directory in Node. */
  readonly importModule?: (specifier: string) => Promise<unknown>;
}

/**
 * Loads a backend: a name (`cpu`, `tfjs-wasm`, `webgpu`, `auto`, ...; see `backendPackage`), a
 * package name or a path to a module that exports `createBackend`, a `BackendModule`, or a ready
 * `DistBackend`. A variant its package does not have is that package's error.
 */
export async function loadBackend(spec: BackendSpec, options: LoadOptions = {}): Promise<DistBackend> {
  if (typeof spec !== 'string') {
    return isBackend(spec) ? spec : spec.createBackend();
  }
  const importModule = options.importModule ?? importFromProject;
  if (spec === 'auto') return loadAuto(importModule);
  if (spec === 'reference') return createReferenceBackend();
  const known = backendPackage(spec);
  const specifier = known?.module ?? spec;
  let module: unknown;
  try {
    module = await importModule(specifier);
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
    throw new BackendUnavailableError(
      spec,
      `module "${specifier}" could not be found`,
      known ? `install it: npm install ${known.module}` : 'check the package name or the path',
    );
  }
  const factory = backendFactory(module);
  if (!factory) {
    throw new BackendUnavailableError(
      spec,
      `module "${specifier}" exports no createBackend function`,
      'a backend module exports createBackend(config?) returning a DistBackend',
    );
  }
  return factory(known?.variant ? { variant: known.variant } : undefined);
}

async function loadAuto(importModule: (specifier: string) => Promise<unknown>): Promise<DistBackend> {
  const reasons: string[] = [];
  let fallback: DistBackend | undefined;
  for (const name of AUTO_ORDER) {
    let backend: DistBackend;
    try {
      backend = await loadBackend(name, { importModule });
    } catch (error) {
      reasons.push(`${name}: ${(error as Error).message}`);
      continue;
    }
    const availability = await backend.availability();
    if (!availability.available) {
      reasons.push(`${name}: ${availability.reason}`);
      await backend.dispose();
    } else if (availability.software && fallback === undefined) {
      // An emulated GPU is usually slower than the CPU kernels: keep it only if nothing else runs.
      fallback = backend;
    } else if (availability.software) {
      await backend.dispose();
    } else {
      if (fallback) await fallback.dispose();
      return backend;
    }
  }
  if (fallback) return fallback;
  throw new BackendUnavailableError('auto', `no backend is available (${reasons.join('; ')})`, 'npm install @dist-kd/backend-cpu');
}

function isBackend(value: DistBackend | BackendModule): value is DistBackend {
  return typeof (value as DistBackend).compute === 'function';
}

function backendFactory(module: unknown): BackendModule['createBackend'] | undefined {
  const candidates = [module, (module as { default?: unknown } | null)?.default];
  for (const candidate of candidates) {
    const create = (candidate as Partial<BackendModule> | null)?.createBackend;
    if (typeof create === 'function') return create.bind(candidate);
  }
  return undefined;
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * In Node, resolves the specifier from the current working directory (the user's project), not from
 * this package's folder: under pnpm's strict layout core cannot see the backends a project installed.
 * Elsewhere (a bundler, a browser with an import map) it is a plain dynamic import.
 */
async function importFromProject(specifier: string): Promise<unknown> {
  if (!isNode) return import(/* @vite-ignore */ specifier);
  // Variables keep bundlers from pulling Node built-ins into browser builds.
  const nodeModule = 'node:module';
  const nodeUrl = 'node:url';
  const nodePath = 'node:path';
  const { createRequire } = (await import(/* @vite-ignore */ nodeModule)) as typeof import('node:module');
  const { pathToFileURL } = (await import(/* @vite-ignore */ nodeUrl)) as typeof import('node:url');
  const path = (await import(/* @vite-ignore */ nodePath)) as typeof import('node:path');
  if (specifier.startsWith('.') || path.isAbsolute(specifier)) {
    return import(/* @vite-ignore */ pathToFileURL(path.resolve(specifier)).href);
  }
  let resolved: string;
  try {
    resolved = createRequire(path.join(process.cwd(), 'noop.js')).resolve(specifier);
  } catch {
    // An import-only package (no "require"/"default" export) or one installed beside this package.
    return import(/* @vite-ignore */ specifier);
  }
  return import(/* @vite-ignore */ pathToFileURL(resolved).href);
}

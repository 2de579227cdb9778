/**
 * Picking a backend by name or module without core depending on any backend package: a name maps
 * to a module specifier and a variant, and the module is imported only when asked for.
 */
import { BackendUnavailableError } from './errors.js';
import type { BackendModule, DistBackend } from './backend.js';
import { createReferenceBackend } from './reference-backend.js';

interface KnownBackend {
  readonly module: string;
  readonly variant?: string;
  readonly description: string;
}

const TFJS = '@dist-kd/backend-tfjs';

/**
 * The names `loadBackend` knows, besides `auto` and `reference` (core's float64 reference).
 * Anything else is treated as a module specifier or path.
 */
export const KNOWN_BACKENDS: Readonly<Record<string, KnownBackend>> = Object.freeze({
  cpu: { module: '@dist-kd/backend-cpu', description: 'the WebAssembly SIMD kernel on every core (float32)' },
  'cpu-float64': { module: '@dist-kd/backend-cpu', variant: 'float64', description: 'TypeScript kernels in float64, one thread' },
  webgpu: { module: '@dist-kd/backend-webgpu', description: 'fused WGSL kernels on WebGPU' },
  tfjs: { module: TFJS, variant: 'auto', description: 'TensorFlow.js, best tfjs backend available' },
  'tfjs-node': { module: TFJS, variant: 'node', description: 'TensorFlow.js on tfjs-node (native)' },
  'tfjs-wasm': { module: TFJS, variant: 'wasm', description: 'TensorFlow.js on the wasm backend (DIST SIMD kernel)' },
  'tfjs-cpu': { module: TFJS, variant: 'cpu', description: 'TensorFlow.js on its plain JS cpu backend (DIST SIMD kernel)' },
  'tfjs-ops-wasm': { module: TFJS, variant: 'ops-wasm', description: 'TensorFlow.js on wasm, DIST as fused tfjs ops' },
  'tfjs-ops-cpu': { module: TFJS, variant: 'ops-cpu', description: 'TensorFlow.js on cpu, DIST as fused tfjs ops' },
  'tfjs-webgl': { module: TFJS, variant: 'webgl', description: 'TensorFlow.js on WebGL' },
  'tfjs-webgpu': { module: TFJS, variant: 'webgpu', description: 'TensorFlow.js on its WebGPU backend' },
  'tfjs-naive-wasm': { module: TFJS, variant: 'naive-wasm', description: 'baseline: the formula in tfjs ops + tf.grad, wasm' },
  'tfjs-naive-cpu': { module: TFJS, variant: 'naive-cpu', description: 'baseline: the formula in tfjs ops + tf.grad, cpu' },
  'tfjs-naive-webgpu': { module: TFJS, variant: 'naive-webgpu', description: 'baseline: the formula in tfjs ops + tf.grad, webgpu' },
});

/** `auto` takes the first of these that is installed and available, preferring hardware to emulation. */
export const AUTO_ORDER: readonly string[] = ['webgpu', 'tfjs-node', 'cpu'];

export type BackendSpec = string | DistBackend | BackendModule;

export interface LoadOptions {
  /** Imports a module specifier; defaults to resolving from the current working directory in Node. */
  readonly importModule?: (specifier: string) => Promise<unknown>;
}

/**
 * Loads a backend: a known name (`cpu`, `tfjs-wasm`, `webgpu`, `auto`, ...), a package name or a
 * path to a module that exports `createBackend`, a `BackendModule`, or a ready `DistBackend`.
 */
export async function loadBackend(spec: BackendSpec, options: LoadOptions = {}): Promise<DistBackend> {
  if (typeof spec !== 'string') {
    return isBackend(spec) ? spec : spec.createBackend();
  }
  const importModule = options.importModule ?? importFromProject;
  if (spec === 'auto') return loadAuto(importModule);
  if (spec === 'reference') return createReferenceBackend();
  const known = KNOWN_BACKENDS[spec];
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

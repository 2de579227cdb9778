/**
 * Choosing and starting a TensorFlow.js backend. tfjs has one active backend per process, so this
 * module is where the package turns a variant name ("wasm", "auto", ...) into a ready tfjs backend,
 * and says clearly why one cannot run here instead of quietly using another.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, dawnWebGpu, isSoftwareAdapter, type AdapterInfoLike } from '@dist-kd/core';

/** The tfjs backends this package can run on; `auto` takes the best one available. */
export type TfjsPlatform = 'node' | 'wasm' | 'cpu' | 'webgl' | 'webgpu';
export type TfjsPlatformChoice = TfjsPlatform | 'auto';

export const TFJS_PLATFORMS: readonly TfjsPlatform[] = ['node', 'webgpu', 'webgl', 'wasm', 'cpu'];

/** What `auto` tries, best first: native, then GPU, then SIMD wasm, then plain JavaScript. */
const AUTO_ORDER: readonly TfjsPlatform[] = TFJS_PLATFORMS;

/** The name tfjs registers each platform under. */
const TFJS_BACKEND_NAME: Readonly<Record<TfjsPlatform, string>> = {
  node: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
  webgl: 'webgl',
  webgpu: 'webgpu',
};

/** tfjs backends whose tensors live in this process, so a small synchronous read waits for nothing. */
export const HOST_MEMORY_BACKENDS: ReadonlySet<string> = new Set(['wasm', 'cpu', 'tensorflow']);

export interface ReadyPlatform {
  readonly platform: TfjsPlatform;
  /** The name `tf.getBackend()` reports for it. */
  readonly tfjsBackend: string;
  /** For reports, e.g. "tfjs wasm (SIMD, 1 thread)". */
  readonly device: string;
  readonly details: Readonly<Record<string, string>>;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

const started = new Map<TfjsPlatform, Promise<ReadyPlatform>>();

/**
 * Starts a tfjs backend and makes it the active one. `auto` takes the first of node, webgpu, webgl,
 * wasm, cpu that starts. Rejects with `BackendUnavailableError` (saying why and what to install)
 * when the one asked for cannot run here.
 */
export async function useTfjsPlatform(choice: TfjsPlatformChoice = 'auto'): Promise<ReadyPlatform> {
  const ready = await startPlatform(choice);
  await activate(ready);
  return ready;
}

/** Starts a platform without leaving it active (unless it already was). */
export async function startPlatform(choice: TfjsPlatformChoice): Promise<ReadyPlatform> {
  if (choice !== 'auto') return startOnce(choice);
  const reasons: string[] = [];
  for (const platform of AUTO_ORDER) {
    try {
      const ready = await startOnce(platform);
      // An emulated GPU (SwiftShader, lavapipe) is far slower than wasm: `auto` passes it by.
      if (platform === 'webgpu' && (await webGpuAdapterIsSoftware())) {
        reasons.push('webgpu: the only WebGPU adapter is a software emulation');
        continue;
      }
      return ready;
    } catch (error) {
      reasons.push(`${platform}: ${(error as Error).message}`);
    }
  }
  throw new BackendUnavailableError('tfjs', `no tfjs backend could start (${reasons.join('; ')})`);
}

/** Makes a started platform the active tfjs backend; a no-op when it already is. */
export async function activate(ready: ReadyPlatform): Promise<void> {
  if (tf.getBackend() === ready.tfjsBackend) return;
  if (!(await tf.setBackend(ready.tfjsBackend))) {
    throw new BackendUnavailableError(`tfjs-${ready.platform}`, `tf.setBackend('${ready.tfjsBackend}') failed`);
  }
}

function startOnce(platform: TfjsPlatform): Promise<ReadyPlatform> {
  let pending = started.get(platform);
  if (!pending) {
    pending = start(platform);
    // A failed start is retried next time: the user may install the missing piece meanwhile.
    pending.catch(() => started.delete(platform));
    started.set(platform, pending);
  }
  return pending;
}

async function start(platform: TfjsPlatform): Promise<ReadyPlatform> {
  const name = `tfjs-${platform}`;
  const tfjsBackend = TFJS_BACKEND_NAME[platform];
  await registerBackend(platform, name);
  if (tf.findBackendFactory(tfjsBackend) === null) {
    throw new BackendUnavailableError(name, unregisteredReason(platform), installHint(platform));
  }
  const previous = tf.getBackend();
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfjsBackend);
  } catch (error) {
    throw new BackendUnavailableError(name, `tfjs could not start "${tfjsBackend}": ${(error as Error).message}`, installHint(platform));
  }
  if (!ok) {
    if (platform === 'webgpu' && !(await hasWebGpuAdapter())) {
      throw new BackendUnavailableError(
        name,
        'WebGPU found no adapter (navigator.gpu.requestAdapter() returned null)',
        isNode
          ? 'Dawn needs a GPU driver (Vulkan on Linux); without a GPU: apt-get install chromium libvulkan1 and set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json'
          : 'enable WebGPU in the browser, or use a machine with a supported GPU',
      );
    }
    throw new BackendUnavailableError(name, `tfjs could not start "${tfjsBackend}" here`, installHint(platform));
  }
  const described = await describe(platform);
  // Starting one backend must not switch away from the one a program is using.
  if (previous && previous !== tfjsBackend) await tf.setBackend(previous);
  return { platform, tfjsBackend, ...described };
}

/** Loads the module that registers a platform's backend, where tfjs itself does not. */
async function registerBackend(platform: TfjsPlatform, name: string): Promise<void> {
  if (platform === 'wasm') {
    await registerWasm(name);
  } else if (platform === 'node') {
    if (!isNode) throw new BackendUnavailableError(name, 'tfjs-node runs only in Node.js');
    await importOptional('@tensorflow/tfjs-node', name);
  } else if (platform === 'webgpu') {
    if (tf.findBackendFactory('webgpu') !== null) return;
    if (!hasNavigatorGpu() && isNode) await provideDawnNavigator();
    if (!hasNavigatorGpu()) {
      throw new BackendUnavailableError(
        name,
        'WebGPU is not available here (navigator.gpu is undefined)',
        isNode
          ? 'in Node, npm install webgpu (Dawn; it needs a Vulkan, Metal or D3D12 driver), or set globalThis.navigator = { gpu } before starting it'
          : 'use a browser with WebGPU enabled',
      );
    }
    await importOptional('@tensorflow/tfjs-backend-webgpu', name);
  }
}

async function webGpuAdapterIsSoftware(): Promise<boolean> {
  const gpu = (navigator as unknown as { gpu: { requestAdapter(): Promise<{ info?: AdapterInfoLike } | null> } }).gpu;
  const adapter = await gpu.requestAdapter().catch(() => null);
  return adapter !== null && isSoftwareAdapter(adapter.info);
}

async function hasWebGpuAdapter(): Promise<boolean> {
  const gpu = (navigator as unknown as { gpu: { requestAdapter(): Promise<unknown> } }).gpu;
  return (await gpu.requestAdapter().catch(() => null)) !== null;
}

function hasNavigatorGpu(): boolean {
  return typeof navigator !== 'undefined' && Boolean((navigator as { gpu?: unknown }).gpu);
}

/**
 * In Node, tfjs-backend-webgpu registers itself only if `navigator.gpu` exists when it loads. When
 * the optional `webgpu` package (Dawn) is installed, provide that global and WebGPU's constants from
 * core's one Dawn instance per process (the one backend-webgpu uses too); without the package
 * nothing changes and the caller reports WebGPU unavailable.
 */
async function provideDawnNavigator(): Promise<void> {
  // `webgpu` is this package's optional peer: imported from here, so it resolves from here.
  const specifier = 'webgpu'; // a variable keeps bundlers from pulling a Node-only package into browser builds
  const { dawn } = await dawnWebGpu(() => import(/* @vite-ignore */ specifier));
  if (!dawn) return;
  Object.assign(globalThis, dawn.globals);
  const current = (globalThis as { navigator?: object }).navigator;
  Object.defineProperty(globalThis, 'navigator', { value: { ...current, gpu: dawn.gpu }, configurable: true, writable: true });
}

/** Where the wasm binaries are loaded from, once `pointWasmAtItsBinaries` has run in Node. */
let wasmFolder: string | undefined;

const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

/**
 * Registers tfjs's wasm backend: an optional peer, so it is loaded only when asked for. In Node
 * the binaries sit beside the package's own files; naming that folder explicitly makes loading
 * independent of the working directory. In a bundle the page imports the package itself (a
 * bundler cannot see through a variable specifier) and points `setWasmPaths` at the served files.
 */
async function registerWasm(name: string): Promise<void> {
  if (tf.findBackendFactory('wasm') !== null) return;
  if (!isNode) {
    throw new BackendUnavailableError(
      name,
      `${WASM_PACKAGE} is not loaded on this page`,
      `npm install ${WASM_PACKAGE}, then in the page: import { setWasmPaths } from '${WASM_PACKAGE}' and ` +
        "setWasmPaths('/where/the/.wasm/files/are/served/') before useTfjsPlatform('wasm')",
    );
  }
  const wasm = (await importOptional(WASM_PACKAGE, name)) as { setWasmPaths(prefix: string): void };
  wasmFolder = await wasmBinaryFolder();
  if (wasmFolder) wasm.setWasmPaths(wasmFolder);
}

async function wasmBinaryFolder(): Promise<string | undefined> {
  // Variables keep bundlers from pulling Node built-ins into browser builds.
  const moduleId = 'node:module';
  const pathId = 'node:path';
  const { createRequire } = (await import(/* @vite-ignore */ moduleId)) as typeof import('node:module');
  const path = (await import(/* @vite-ignore */ pathId)) as typeof import('node:path');
  try {
    const entry = createRequire(import.meta.url).resolve(WASM_PACKAGE);
    return path.dirname(entry) + path.sep;
  } catch {
    return undefined;
  }
}

async function importOptional(specifier: string, name: string): Promise<unknown> {
  try {
    return await import(/* @vite-ignore */ specifier);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new BackendUnavailableError(name, `${specifier} is not installed`, `npm install ${specifier}`);
    }
    throw new BackendUnavailableError(
      name,
      `${specifier} is installed but failed to load: ${(error as Error).message}`,
      specifier === '@tensorflow/tfjs-node'
        ? 'its native addon is missing (was it installed without its install script?): run ' +
            'npm install @tensorflow/tfjs-node (or npm rebuild @tensorflow/tfjs-node) where it can download libtensorflow'
        : `reinstall it: npm install ${specifier}`,
    );
  }
}

function unregisteredReason(platform: TfjsPlatform): string {
  if (platform === 'webgl') return 'WebGL needs a browser; tfjs registers no WebGL backend in Node';
  if (platform === 'webgpu') return 'tfjs-backend-webgpu registered no backend (navigator.gpu was missing when it loaded)';
  return `tfjs has no "${TFJS_BACKEND_NAME[platform]}" backend registered`;
}

function installHint(platform: TfjsPlatform): string | undefined {
  if (platform === 'node') return 'npm install @tensorflow/tfjs-node';
  if (platform === 'webgpu') return 'npm install @tensorflow/tfjs-backend-webgpu, in an environment with WebGPU';
  if (platform === 'webgl') return 'run in a browser with WebGL';
  if (platform === 'wasm') {
    // In a browser the usual cause is a 404 for the .wasm binaries, which tfjs reports only in the console.
    return isNode
      ? `npm install ${WASM_PACKAGE}`
      : `serve ${WASM_PACKAGE}'s dist/*.wasm files and call setWasmPaths('/their/folder/') from ${WASM_PACKAGE} before starting it`;
  }
  return undefined;
}

async function describe(platform: TfjsPlatform): Promise<Pick<ReadyPlatform, 'device' | 'details'>> {
  const version = { tfjs: tf.version.tfjs };
  if (platform === 'wasm') {
    const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    const backend = tf.backend() as unknown as { getThreadsCount?: () => number; wasm?: { tfjs?: { getThreadsCount?: () => number } } };
    const threads = backend.wasm?.tfjs?.getThreadsCount?.() ?? 1;
    const device = `tfjs wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`;
    const files: Record<string, string> = wasmFolder ? { wasmFolder } : {};
    return { device, details: { ...version, simd: String(simd), threads: String(threads), ...files } };
  }
  if (platform === 'node') return { device: 'tfjs-node (native libtensorflow)', details: version };
  if (platform === 'cpu') return { device: 'tfjs cpu (plain JavaScript)', details: version };
  return { device: `tfjs ${platform}`, details: version };
}

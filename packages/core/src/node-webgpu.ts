/**
 * One Dawn instance per process: in Node, WebGPU comes from the optional `webgpu` package (Dawn),
 * and every user in the process (backend-webgpu, tfjs-webgpu as backend-tfjs starts it) must share
 * one instance: a second one doubles the driver's threads and memory, and devices from two
 * instances cannot share buffers. The instance is kept on `globalThis` under a registered symbol,
 * so that two copies of this package (a CLI loading core from dist/ next to the sources) still find
 * one, and so that it stays referenced for the life of the process (when Dawn's instance is
 * garbage-collected while a device lives: crashes or hung maps, ENVIRONMENT.md).
 */

/** Dawn's `GPU` entry point and the WebGPU globals (GPUBufferUsage, GPUBuffer, ...) of the package. */
export interface DawnWebGpu {
  /** The `GPU` object (typed loosely: core carries no WebGPU types). */
  readonly gpu: object;
  readonly globals: Readonly<Record<string, unknown>>;
}

export type DawnLookup = { readonly dawn: DawnWebGpu } | { readonly dawn?: undefined; readonly reason: string; readonly hint: string };

export const DAWN_HINT =
  "in Node: npm install webgpu (Dawn, an optional peer of the dist-kd backends) and a Vulkan, Metal or D3D12 driver; without a GPU, SwiftShader from Debian's chromium " +
  '(apt-get install chromium libvulkan1) with VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json';

const INSTANCE = Symbol.for('@dist-kd/dawn-instance');

/** What `import('webgpu')` gives. */
export interface DawnModule {
  create(flags: string[]): object;
  readonly globals: Record<string, unknown>;
}

/**
 * The process's Dawn instance, created on first use with `importDawn`, the caller's
 * `() => import('webgpu')`: the package is the caller's optional dependency, so the import must
 * resolve from the caller's folder, not core's. Never throws: says why not and what to install. A
 * failure is not remembered, so a later call tries again.
 */
export function dawnWebGpu(importDawn: () => Promise<unknown>): Promise<DawnLookup> {
  const holder = globalThis as { [INSTANCE]?: Promise<DawnLookup> };
  const pending = (holder[INSTANCE] ??= startDawn(importDawn));
  void pending.then((lookup) => {
    if (!lookup.dawn && holder[INSTANCE] === pending) delete holder[INSTANCE];
  });
  return pending;
}

async function startDawn(importDawn: () => Promise<unknown>): Promise<DawnLookup> {
  let module: DawnModule;
  try {
    module = (await importDawn()) as DawnModule;
  } catch (error) {
    return { reason: `the optional "webgpu" package could not be loaded (${(error as Error).message.split('\n')[0]})`, hint: DAWN_HINT };
  }
  try {
    return { dawn: { gpu: module.create([]), globals: module.globals } };
  } catch (error) {
    return { reason: `Dawn failed to start: ${(error as Error).message}`, hint: DAWN_HINT };
  }
}

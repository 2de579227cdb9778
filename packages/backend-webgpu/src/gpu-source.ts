/**
 * Where a GPU comes from: `navigator.gpu` (browsers, Deno, or Node after the user set it), else
 * the `webgpu` npm package (Dawn) in Node. Never throws: says why not and what to install.
 */

export type GpuLookup =
  | { readonly gpu: GPU; readonly source: string }
  | { readonly gpu?: undefined; readonly reason: string; readonly hint: string };

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Dawn's instance must stay referenced while any device lives (collected: crashes, hung maps). */
let dawnInstance: GPU | undefined;

export const NODE_HINT =
  'in Node: npm install webgpu (Dawn, an optional peer of @dist-kd/backend-webgpu) and a Vulkan, Metal or D3D12 driver; without a GPU, SwiftShader from Debian\'s chromium ' +
  '(apt-get install chromium libvulkan1) with VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json';

export async function findGpu(): Promise<GpuLookup> {
  const navigatorGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (navigatorGpu) return { gpu: navigatorGpu, source: 'navigator.gpu' };
  if (!isNode) {
    return {
      reason: 'this JavaScript environment has no navigator.gpu (no WebGPU)',
      hint: 'use a browser with WebGPU enabled (Chrome/Edge 113+, or --enable-unsafe-webgpu) in a secure context',
    };
  }
  if (dawnInstance) return { gpu: dawnInstance, source: 'webgpu package (Dawn)' };
  // A variable keeps bundlers from pulling the Node-only package into browser builds.
  const specifier = 'webgpu';
  let module: { create(flags: string[]): GPU };
  try {
    module = (await import(/* @vite-ignore */ specifier)) as typeof module;
  } catch (error) {
    return {
      reason: `the optional peer "webgpu" (Dawn, WebGPU for Node) could not be loaded (${(error as Error).message.split('\n')[0]})`,
      hint: NODE_HINT,
    };
  }
  try {
    dawnInstance = module.create([]);
  } catch (error) {
    return { reason: `Dawn failed to start: ${(error as Error).message}`, hint: NODE_HINT };
  }
  return { gpu: dawnInstance, source: 'webgpu package (Dawn)' };
}

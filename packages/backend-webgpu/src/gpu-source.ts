/**
 * Where a GPU comes from: `navigator.gpu` (browsers, Deno, or Node after the user set it), else
 * the `webgpu` npm package (Dawn) in Node, through core's one instance per process. Never throws:
 * says why not and what to install.
 */
import { dawnWebGpu } from '@dist-kd/core';

export type GpuLookup =
  | { readonly gpu: GPU; readonly source: string }
  | { readonly gpu?: undefined; readonly reason: string; readonly hint: string };

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

export async function findGpu(): Promise<GpuLookup> {
  const navigatorGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (navigatorGpu) return { gpu: navigatorGpu, source: 'navigator.gpu' };
  if (!isNode) {
    return {
      reason: 'this JavaScript environment has no navigator.gpu (no WebGPU)',
      hint: 'use a browser with WebGPU enabled (Chrome/Edge 113+, or --enable-unsafe-webgpu) in a secure context',
    };
  }
  // The process's one Dawn instance, shared with tfjs-webgpu when backend-tfjs starts it.
  const lookup = await dawnWebGpu(importDawn);
  if (!lookup.dawn) return { reason: lookup.reason, hint: lookup.hint };
  return { gpu: lookup.dawn.gpu as GPU, source: 'webgpu package (Dawn)' };
}

/** `webgpu` is this package's optional dependency: imported from here, so it resolves from here. */
export function importDawn(): Promise<unknown> {
  // A variable keeps bundlers from pulling the Node-only package into browser builds.
  const specifier = 'webgpu';
  return import(/* @vite-ignore */ specifier);
}

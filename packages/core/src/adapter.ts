/** What a WebGPU adapter says of itself (GPUAdapterInfo, plus the older isFallbackAdapter flag). */
export interface AdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}

/** Words that name a CPU emulation of a GPU in adapter info. */
const SOFTWARE_ADAPTER = /swiftshader|lavapipe|llvmpipe|softpipe|software|microsoft basic render/i;

/**
 * Whether a WebGPU adapter emulates a GPU on the CPU. Backends report it (`Availability.software`)
 * and `auto` choices pass such adapters by, since they are slower than the CPU kernels.
 */
export function isSoftwareAdapter(info: AdapterInfoLike | undefined, isFallbackAdapter = false): boolean {
  if (isFallbackAdapter || info?.isFallbackAdapter === true) return true;
  return SOFTWARE_ADAPTER.test([info?.vendor, info?.architecture, info?.device, info?.description].join(' '));
}

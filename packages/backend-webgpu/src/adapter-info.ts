import { isSoftwareAdapter, type Availability } from '@dist-kd/core';

export interface AdapterDescription {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly software: boolean;
}

/** Reads GPUAdapter.info (or the older isFallbackAdapter) into plain strings for reports. */
export function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  return describeInfo(adapter.info, (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true);
}

export function describeInfo(info: GPUAdapterInfo | undefined, isFallbackAdapter = false): AdapterDescription {
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const device = info?.device ?? '';
  const description = info?.description ?? '';
  const software = isSoftwareAdapter(info, isFallbackAdapter);
  return { vendor, architecture, device, description, software };
}

export function availableOn(adapter: AdapterDescription, source: string): Availability {
  const name = adapter.description || [adapter.vendor, adapter.architecture, adapter.device].filter(Boolean).join(' ');
  return {
    available: true,
    device: `WebGPU: ${name || 'unnamed adapter'}`,
    software: adapter.software,
    details: {
      vendor: adapter.vendor,
      architecture: adapter.architecture,
      device: adapter.device,
      description: adapter.description,
      source,
    },
  };
}

/** What a page can tell about the visitor's machine. Browsers do not name the CPU. */
import type { MachineInfo } from '../report.js';

interface NavigatorExtras {
  deviceMemory?: number;
  userAgentData?: { platform?: string };
}

export function browserMachine(): Omit<MachineInfo, 'gpus'> {
  const nav = navigator as Navigator & NavigatorExtras;
  return {
    cpu: 'unknown (browsers do not tell)',
    cores: nav.hardwareConcurrency ?? 0,
    // deviceMemory is rounded (0.25 to 8 GiB) and Chromium-only.
    memory_bytes: typeof nav.deviceMemory === 'number' ? nav.deviceMemory * 2 ** 30 : null,
    os: nav.userAgentData?.platform || nav.platform || 'unknown',
    runtime: nav.userAgent,
  };
}

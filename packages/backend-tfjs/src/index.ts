import type { BackendConfig, DistBackend } from '@dist-kd/core';
import { BackendUnavailableError } from '@dist-kd/core';

/** Placeholder until the tfjs kernels land: reports itself unavailable through the interface. */
export function createBackend(config: BackendConfig = {}): DistBackend {
  const name = config.variant ? 'tfjs-' + config.variant : 'tfjs';
  const reason = 'the tfjs backend is not implemented yet';
  return {
    name,
    precision: 'float32',
    availability: async () => ({ available: false, reason }),
    compute: async () => {
      throw new BackendUnavailableError(name, reason);
    },
    dispose: async () => {},
  };
}

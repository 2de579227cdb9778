import type { DistBackend } from './backend.js';
import { referenceDist } from './reference.js';

/**
 * The reference as a backend: slow, float64, always available. Conformance runs it to check the
 * suite itself, and a new backend's author can diff against it.
 */
export function createReferenceBackend(): DistBackend {
  return {
    name: 'reference',
    precision: 'float64',
    availability: async () => ({ available: true, device: 'float64 reference (JavaScript)' }),
    compute: async (request) => referenceDist(request),
    dispose: async () => {},
  };
}

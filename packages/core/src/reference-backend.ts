import type { BoundDist, DistBackend, DistBinding } from './backend.js';
import { BackendUnavailableError } from './errors.js';
import { validateRequest, type DistInput } from './input.js';
import { referenceDist, referenceDistValidated } from './reference.js';

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
    bind: async (binding) => bindReference(binding),
    dispose: async () => {},
  };
}

/** Bound logits in host memory: validated once and copied, each call computes on them. */
function bindReference(binding: DistBinding): BoundDist {
  const validated = validateRequest({ ...binding, gradient: true }, 'float64');
  // Copies: later writes to the caller's arrays must not reach logits that were validated once.
  let input: DistInput | undefined = { ...validated, student: validated.student.slice(), teacher: validated.teacher.slice() };
  let gradient: Float32Array | Float64Array | undefined;
  return {
    async compute(withGradient) {
      if (!input) throw new BackendUnavailableError('reference', 'this binding was disposed');
      const { gradient: computed, ...terms } = referenceDistValidated({ ...input, gradient: withGradient });
      gradient = computed;
      return terms;
    },
    async readGradient() {
      if (!gradient) throw new Error('reference: readGradient needs a compute(true) as the latest call');
      return gradient.slice();
    },
    async dispose() {
      input = undefined;
      gradient = undefined;
    },
  };
}

import type { DistBackend, DistBinding } from './backend.js';
import { copyLogits, validateRequest, type DistInput } from './input.js';
import { BackendLifecycle } from './lifecycle.js';
import { referenceDist, referenceDistValidated } from './reference.js';
import { withRowSelection } from './rows.js';

/**
 * The reference as a backend: slow, float64, always available. Conformance runs it to check the
 * suite itself, and a new backend's author can diff against it.
 */
export function createReferenceBackend(): DistBackend {
  const lifecycle = new BackendLifecycle('reference');
  return withRowSelection({
    name: 'reference',
    precision: 'float64',
    supports: { sigmoid: true },
    availability: async () => ({ available: true, device: 'float64 reference (JavaScript)' }),
    compute: (request) => lifecycle.run(async () => referenceDist(request)),
    bind: (binding) => lifecycle.run(async () => bindReference(lifecycle, binding)),
    dispose: () => lifecycle.dispose(() => undefined),
  });
}

/** Bound logits in host memory: validated once and copied, each call computes on them. */
function bindReference(lifecycle: BackendLifecycle, binding: DistBinding) {
  // Copies: later writes to the caller's arrays must not reach logits that were validated once.
  let input: DistInput | undefined = copyLogits(validateRequest({ ...binding, gradient: true }, 'float64'));
  let gradient: Float32Array | Float64Array | undefined;
  return lifecycle.bind({
    async compute(withGradient) {
      const { gradient: computed, ...terms } = referenceDistValidated({ ...input!, gradient: withGradient });
      gradient = computed;
      return terms;
    },
    async readGradient() {
      return gradient!.slice();
    },
    release() {
      input = undefined;
      gradient = undefined;
    },
  });
}

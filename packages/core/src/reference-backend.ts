import type { DistBackend, DistBinding } from './backend.js';
import { copyLogits, validateRequest, type DistInput } from './input.js';
import { BackendLifecycle } from './lifecycle.js';
import { referenceDist, referenceDistValidated } from './reference.js';
import { referenceShardCompute, referenceShardStatistics } from './reference-shards.js';

/**
 * The reference as a backend: slow, float64, always available. Conformance runs it to check the
 * suite itself, and a new backend's author can diff against it.
 */
export function createReferenceBackend(): DistBackend {
  const lifecycle = new BackendLifecycle('reference');
  return {
    name: 'reference',
    precision: 'float64',
    availability: async () => ({ available: true, device: 'float64 reference (JavaScript)' }),
    compute: (request) => lifecycle.run(async () => referenceDist(request)),
    bind: (binding) => lifecycle.run(async () => bindReference(lifecycle, binding)),
    shards: {
      statistics: (shard) => lifecycle.run(async () => referenceShardStatistics(validateRequest({ ...shard, gradient: false }, 'float64', { rows: 'any' }))),
      compute: (shard, merged) => lifecycle.run(async () => referenceShardCompute(validateRequest(shard, 'float64', { rows: 'any' }), merged)),
    },
    dispose: () => lifecycle.dispose(() => undefined),
  };
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

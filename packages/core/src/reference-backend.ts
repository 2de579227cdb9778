import type { BackendConfig, DistBackend } from './backend.js';
import { copyLogits, validateRequest, type DistInput } from './input.js';
import { BackendLifecycle } from './lifecycle.js';
import { checkMemory, hostMemoryLimit } from './memory.js';
import { referenceDistValidated } from './reference.js';
import { referenceShardCompute, referenceShardStatistics } from './reference-shards.js';
import { withRowSelection } from './rows.js';

/**
 * The reference as a backend: slow, float64, always available. Conformance runs it to check the
 * suite itself, and a new backend's author can diff against it.
 */
export function createReferenceBackend(config: Pick<BackendConfig, 'memoryLimitBytes'> = {}): DistBackend {
  const lifecycle = new BackendLifecycle('reference');
  const limit = hostMemoryLimit(config.memoryLimitBytes);
  const withinMemory = (input: DistInput): DistInput => {
    checkMemory('reference', REFERENCE_MEMORY, input.batch, input.classes, limit);
    return input;
  };
  return withRowSelection({
    name: 'reference',
    precision: 'float64',
    supports: { sigmoid: true },
    availability: async () => ({ available: true, device: 'float64 reference (JavaScript)' }),
    compute: (request) => lifecycle.run(async () => referenceDistValidated(withinMemory(validateRequest(request, 'float64')))),
    bind: (binding) =>
      lifecycle.run(async () => bindReference(lifecycle, withinMemory(validateRequest({ ...binding, gradient: false }, 'float64')))),
    shards: {
      statistics: (shard) =>
        lifecycle.run(async () => referenceShardStatistics(withinMemory(validateRequest({ ...shard, gradient: false }, 'float64', { rows: 'any' })))),
      compute: (shard, merged) => lifecycle.run(async () => referenceShardCompute(withinMemory(validateRequest(shard, 'float64', { rows: 'any' })), merged)),
    },
    dispose: () => lifecycle.dispose(() => undefined),
  });
}

/**
 * What the reference holds at once, measured (peak RSS above the inputs, /usr/bin/time, at 1000x2000
 * and 20x100000): about 75 bytes per logit (softmax rows, centred copies, G, the gradient) and 1,300
 * per class and 700 per row for the per-vector arrays; rounded up.
 */
const REFERENCE_MEMORY = { perElement: 80, perRow: 700, perClass: 1300 };

/** Bound logits in host memory: validated once and copied, each call computes on them. */
function bindReference(lifecycle: BackendLifecycle, validated: DistInput) {
  // Copies: later writes to the caller's arrays must not reach logits that were validated once.
  let input: DistInput | undefined = copyLogits(validated);
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

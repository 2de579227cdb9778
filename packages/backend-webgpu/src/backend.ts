import {
  allocateGradient,
  BackendLifecycle,
  BackendUnavailableError,
  checkMemory,
  checkFeatures,
  checkLogitValues,
  checkShardStatisticsFor,
  copyLogits,
  emptyShardStatistics,
  hostMemoryLimit,
  validateRequest,
  withRowSelection,
  type Availability,
  type BackendConfig,
  type BoundDist,
  type DistBackend,
  type DistBinding,
  type DistOptions,
  type DistRequest,
  type DistResult,
  type DistInput,
  type DistShards,
  type ShardStatistics,
} from '@dist-kd/core';
import { availableOn, describeAdapter, describeInfo } from './adapter-info.js';
import { boundLogits } from './bound.js';
import {
  columnRecordsFromStatistics,
  HARDWARE_SHAPE,
  planForDevice,
  SOFTWARE_SHAPE,
  statisticsFromColumnRecords,
  type ChunkPlan,
  type KernelShape,
} from '@dist-kd/kernel-wgsl';
import { DeviceContext } from './device-context.js';
import { findGpu, type GpuLookup } from './gpu-source.js';
import { checkFlags, gradientFor, termsFromSums } from './terms.js';
import { Workspace, type GradientTarget, type InputSource } from './workspace.js';

export interface WebGpuBackendConfig extends BackendConfig {
  /**
   * Run on this device instead of requesting one (e.g. the device of tfjs-backend-webgpu, so that
   * tensors can be passed without a copy through the host). The backend does not destroy it.
   */
  readonly device?: GPUDevice;
  /**
   * The WebGPU entry point to use instead of `navigator.gpu` or the `webgpu` package (e.g. a Dawn
   * instance created with your own flags; keep a reference to it while the backend lives).
   */
  readonly gpu?: GPU;
  /** Passed to requestAdapter when the backend requests its own device. */
  readonly powerPreference?: GPUPowerPreference;
  /**
   * Pretend a storage binding holds at most this many bytes (tests use it to force the split of
   * large inputs into chunks on any adapter). The device's own limit still applies.
   */
  readonly maxStorageBindingBytes?: number;
  /**
   * Workgroup geometry of the kernels. By default 256 invocations per row on hardware adapters and
   * one invocation per row on software adapters (CPU emulations pay dearly for barriers).
   */
  readonly kernelShape?: KernelShape;
}

/** What the tfjs entry and tests reach besides the DistBackend interface. */
export interface WebGpuBackend extends DistBackend {
  /** The device the kernels run on (created on first use). */
  device(): Promise<GPUDevice>;
  /** Runs on logits already in GPU buffers of this device ([B, C] float32, row-major). */
  computeOnDevice(request: DeviceRequest): Promise<DeviceResult>;
  bind(binding: DistBinding): Promise<BoundDist>;
  readonly shards: DistShards;
}

export interface DeviceRequest {
  readonly student: GPUBuffer;
  readonly teacher: GPUBuffer;
  readonly shape: readonly [number, number];
  readonly options: DistOptions;
  readonly gradient: boolean;
}

export interface DeviceResult {
  readonly loss: number;
  readonly inter: number;
  readonly intra: number;
  /** A new [B, C] float32 buffer the caller owns, when the gradient was asked for. */
  readonly gradient?: GPUBuffer;
}

interface Runtime {
  readonly context: DeviceContext;
}

export function createBackend(config: WebGpuBackendConfig = {}): WebGpuBackend {
  const name = config.variant ? `webgpu-${config.variant}` : 'webgpu';
  const lifecycle = new BackendLifecycle(name);
  let runtime: Promise<Runtime> | undefined;
  /** The runtime once it started, so that a call can reach the GPU before its first await. */
  let started: Runtime | undefined;
  let workspace: Workspace | undefined;
  // Calls share one workspace per shape, so they run one at a time (bound calls too: one queue).
  let queue: Promise<unknown> = Promise.resolve();
  /** Calls queued or running; with none, the next call starts at once. */
  let busy = 0;
  const hostLimit = hostMemoryLimit(config.memoryLimitBytes);

  const start = async (): Promise<Runtime> => {
    if (lifecycle.disposed) throw lifecycle.disposedError();
    runtime ??= openRuntime(name, config).then(
      (opened) => (started = opened),
      (error: unknown) => {
        runtime = undefined;
        throw error;
      },
    );
    return runtime;
  };

  const planFor = (rt: Runtime, batch: number, classes: number): ChunkPlan =>
    planForDevice(rt.context.device, batch, classes, rt.context.shape, config.maxStorageBindingBytes);

  const workspaceFor = (rt: Runtime, batch: number, classes: number): Workspace => {
    if (workspace && workspace.plan.batch === batch && workspace.plan.classes === classes) return workspace;
    const plan = planFor(rt, batch, classes);
    workspace?.destroy();
    workspace = new Workspace(rt.context, plan);
    return workspace;
  };

  /** Runs `work` after every earlier call has settled; at once (synchronously) when there is none. */
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const next = busy === 0 ? work() : queue.then(work, work);
    busy++;
    queue = next.then(
      () => busy--,
      () => busy--,
    );
    return next;
  };

  /** Loads `source` into the shared workspace of its shape and runs the kernels there. */
  const run = (batch: number, classes: number, source: InputSource, options: DistOptions, target: GradientTarget) =>
    exclusive(async () => {
      const rt = started ?? (await start());
      const { sums, hostGradient, gpuGradient } = await workspaceFor(rt, batch, classes).run(options, target, source);
      try {
        return { ...termsFromSums(sums, batch, classes, options), hostGradient, gpuGradient };
      } catch (error) {
        gpuGradient?.destroy();
        throw error;
      }
    });

  /**
   * A shard's request validated as `compute` validates any (it may have no rows), with the memory
   * check, and its logits as the GPU run reads them: the caller's arrays when the call starts now,
   * copies when it has to wait for its turn (the caller may reuse its arrays once the call returned).
   */
  const shardInput = (shard: DistRequest): { input: DistInput; source: InputSource } => {
    const input = validateRequest(shard, 'float32', { rows: 'any' });
    checkFeatures(input, { name, supports });
    checkMemory(name, HOST_MEMORY, input.batch, input.classes, hostLimit);
    const { student, teacher } = started && busy === 0 ? input : copyLogits(input);
    return { input, source: { kind: 'host', student, teacher } };
  };

  /**
   * Phase 1 on the GPU: the shard's column statistics (the column-statistics kernel's records, O(C) numbers
   * read back) and its rows' sum of 1 - r_i, turned into core's float64 statistics. Phase 2: the
   * merged statistics' loss and column coefficients in float64 on the host, then the row kernel
   * and the gradient kernel on the shard's rows with the merged column records.
   */
  const shards: DistShards = {
    statistics: (shard: DistBinding): Promise<ShardStatistics> =>
      lifecycle.run(async () => {
        const { input, source } = shardInput({ ...shard, gradient: false });
        return exclusive(async () => {
          const rt = started ?? (await start());
          if (input.batch === 0) return emptyShardStatistics(input.classes, input.options);
          const { sums, columnRecords } = await workspaceFor(rt, input.batch, input.classes).statistics(input.options, source);
          checkFlags(sums, input.options);
          return statisticsFromColumnRecords(columnRecords, input.classes, input.options, input.batch, sums[0]);
        });
      }),
    compute: (shard: DistRequest, merged: ShardStatistics): Promise<DistResult> =>
      lifecycle.run(async () => {
        const { input, source } = shardInput(shard);
        const whole = checkShardStatisticsFor(merged, input.classes, input.options);
        const { records, terms } = columnRecordsFromStatistics(whole, input.options);
        return exclusive(async () => {
          const rt = started ?? (await start());
          if (!input.gradient) return terms;
          if (input.batch === 0) return { ...terms, gradient: allocateGradient(input) };
          const workspace = workspaceFor(rt, input.batch, input.classes);
          const { sums, hostGradient } = await workspace.run(input.options, 'host', source, { records, rows: whole.rows });
          checkFlags(sums, input.options);
          return { ...terms, gradient: gradientFor(input.student instanceof Float32Array, hostGradient!) };
        });
      }),
  };

  // The WGSL kernels compute both activations (softmax, sigmoid); masks and dense layouts come from
  // core's withRowSelection around the row kernels.
  const supports = { sigmoid: true };
  return withRowSelection({
    name,
    precision: 'float32',
    supports,

    async availability(): Promise<Availability> {
      try {
        if (config.device) return availableOn(describeInfo(config.device.adapterInfo), 'the given GPUDevice');
        const lookup = await lookupGpu(config);
        if (!lookup.gpu) return { available: false, reason: lookup.reason, hint: lookup.hint };
        const adapter = await lookup.gpu.requestAdapter(adapterOptions(config));
        if (!adapter) return { available: false, ...noAdapter(lookup.source) };
        return availableOn(describeAdapter(adapter), lookup.source);
      } catch (error) {
        return { available: false, reason: `probing WebGPU failed: ${(error as Error).message}` };
      }
    },

    compute(request: DistRequest): Promise<DistResult> {
      return lifecycle.run(async () => {
        // The values are not scanned here: the row kernel flags a logit that is not finite or
        // overflows once divided by tau, and only then are they read, for the error that says which.
        const input = validateRequest(request, 'float32', { values: 'deferred' });
        checkMemory(name, HOST_MEMORY, input.batch, input.classes, hostLimit);
        // The contract: the caller's arrays are read before compute returns. An idle, started
        // backend writes them to the GPU now; a call that has to wait for its turn takes copies.
        const { student, teacher } = started && busy === 0 ? input : copyLogits(input);
        const target: GradientTarget = input.gradient ? 'host' : 'none';
        const source: InputSource = { kind: 'host', student, teacher };
        const { loss, inter, intra, hostGradient } = await run(input.batch, input.classes, source, input.options, target).catch(
          (error: unknown) => {
            if ((error as { code?: string }).code === 'NON_FINITE') checkLogitValues({ ...input, student, teacher }, 'float32');
            throw error;
          },
        );
        if (!hostGradient) return { loss, inter, intra };
        return { loss, inter, intra, gradient: gradientFor(input.student instanceof Float32Array, hostGradient) };
      });
    },

    computeOnDevice(request: DeviceRequest): Promise<DeviceResult> {
      return lifecycle.run(async () => {
        checkFeatures(request, { name, supports });
        const [batch, classes] = request.shape;
        const source: InputSource = { kind: 'gpu', student: request.student, teacher: request.teacher };
        const target: GradientTarget = request.gradient ? 'gpu' : 'none';
        const { loss, inter, intra, gpuGradient } = await run(batch, classes, source, request.options, target);
        return { loss, inter, intra, gradient: gpuGradient };
      });
    },

    bind(binding: DistBinding): Promise<BoundDist> {
      return lifecycle.run(async () => {
        // The values are checked once here, so that no compute on the binding needs to; the copies
        // are read when the binding's buffers are loaded, after this call returned.
        const validated = validateRequest({ ...binding, gradient: false }, 'float32');
        checkMemory(name, HOST_MEMORY, validated.batch, validated.classes, hostLimit);
        const input = copyLogits(validated);
        const own = await exclusive(async () => {
          const rt = await start();
          const loaded = new Workspace(rt.context, planFor(rt, input.batch, input.classes));
          try {
            await loaded.load({ kind: 'host', student: input.student, teacher: input.teacher });
          } catch (error) {
            loaded.destroy();
            throw error;
          }
          return loaded;
        });
        const { batch, classes, options } = input;
        return lifecycle.bind(boundLogits(exclusive, own, { batch, classes, options, float32Student: input.student instanceof Float32Array }));
      });
    },

    shards,

    device(): Promise<GPUDevice> {
      return lifecycle.run(async () => (await start()).context.device);
    },

    dispose: () =>
      lifecycle.dispose(async () => {
        await queue;
        workspace?.destroy();
        workspace = undefined;
        const rt = await runtime?.catch(() => undefined);
        rt?.context.destroy();
        runtime = undefined;
        started = undefined;
      }),
  });
}

/**
 * Host memory one call holds besides the caller's arrays, counted from the code (not measured):
 * float32 copies of both logits (8 bytes per logit), the mapped gradient readback and its copy (8),
 * a float64 gradient for a Float64Array student (8). GPU memory has no WebGPU query; a device that
 * runs out rejects the work, which is a BackendRuntimeError.
 */
const HOST_MEMORY = { perElement: 24 };

function lookupGpu(config: WebGpuBackendConfig): Promise<GpuLookup> {
  return config.gpu ? Promise.resolve({ gpu: config.gpu, source: 'the given GPU' }) : findGpu();
}

function adapterOptions(config: WebGpuBackendConfig): GPURequestAdapterOptions {
  return config.powerPreference ? { powerPreference: config.powerPreference } : {};
}

function noAdapter(source: string): { reason: string; hint: string } {
  return {
    reason: `WebGPU (${source}) found no adapter`,
    hint: source !== 'navigator.gpu'
      ? 'Dawn needs a Vulkan driver: install the GPU vendor\'s driver, or for a software adapter ' +
        'apt-get install chromium libvulkan1 and set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json'
      : 'enable WebGPU in the browser (chrome://flags, --enable-unsafe-webgpu) or check its GPU blocklist',
  };
}

async function openRuntime(name: string, config: WebGpuBackendConfig): Promise<Runtime> {
  if (config.device) {
    const shape = config.kernelShape ?? shapeFor(describeInfo(config.device.adapterInfo).software);
    return { context: await DeviceContext.create(config.device, false, shape) };
  }
  const lookup = await lookupGpu(config);
  if (!lookup.gpu) throw new BackendUnavailableError(name, lookup.reason, lookup.hint);
  const adapter = await lookup.gpu.requestAdapter(adapterOptions(config));
  if (!adapter) {
    const { reason, hint } = noAdapter(lookup.source);
    throw new BackendUnavailableError(name, reason, hint);
  }
  // Ask for the adapter's own limits: a device otherwise gets the spec's small defaults.
  const device = await adapter.requestDevice({
    label: 'dist-kd',
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  const shape = config.kernelShape ?? shapeFor(describeAdapter(adapter).software);
  return { context: await DeviceContext.create(device, true, shape) };
}

function shapeFor(software: boolean): KernelShape {
  return software ? SOFTWARE_SHAPE : HARDWARE_SHAPE;
}

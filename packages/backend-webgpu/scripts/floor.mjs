#!/usr/bin/env node
/**
 * This backend next to the one-pass floor, side by side in one process on one adapter (the issue's
 * floor: any kernel that returns a gradient pays at least this). Times, interleaved call by call:
 *   floor (host)        upload two [B, C] float32 arrays, one pass computing exp(a) - exp(b), read [B, C] back
 *   webgpu (host)       compute({ gradient: true }) on host arrays
 *   floor pass alone    the same pass on buffers already on the GPU, waiting for it to finish
 *   webgpu (resident)   bind() once, then compute(true) (the loss read back, the gradient left on the GPU)
 * Prints one JSON line per size with the medians in ms and the ratios. Run from this folder:
 *   pnpm build && VK_ICD_FILENAMES=... node scripts/floor.mjs [BxC ...] [--repeats N] [--shape WG/LANES/TILE]
 */
import { parseArgs } from 'node:util';
import { create, globals } from 'webgpu';

const { values, positionals } = parseArgs({
  options: { repeats: { type: 'string', default: '15' }, shape: { type: 'string' } },
  allowPositionals: true,
});
const sizes = (positionals.length ? positionals : ['256x1000', '1024x1000', '128x32000']).map((s) => s.split('x').map(Number));
const repeats = Number(values.repeats);
const kernelShape = values.shape
  ? Object.fromEntries(['workgroupSize', 'rowLanes', 'columnTile'].map((key, k) => [key, Number(values.shape.split('/')[k])]))
  : undefined;

const gpu = create([]);
Object.assign(globalThis, globals);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice({
  requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
});
const { createBackend } = await import('../dist/index.js');
const backend = createBackend({ device, ...(kernelShape ? { kernelShape } : {}) });

const floorModule = device.createShaderModule({
  code: /* wgsl */ `
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.x + id.y * groups.x * 64u;
  if (i < arrayLength(&out)) { out[i] = exp(a[i]) - exp(b[i]); }
}`,
});
const floorPipeline = device.createComputePipeline({ layout: 'auto', compute: { module: floorModule, entryPoint: 'main' } });

function floorFor(B, C) {
  const bytes = B * C * 4;
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const [a, b, out] = [0, 1, 2].map(() => device.createBuffer({ size: bytes, usage: storage }));
  const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const group = device.createBindGroup({
    layout: floorPipeline.getBindGroupLayout(0),
    entries: [a, b, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const groups = Math.ceil((B * C) / 64);
  const x = Math.min(groups, 65535);
  const encodePass = (encoder) => {
    const pass = encoder.beginComputePass();
    pass.setPipeline(floorPipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, Math.ceil(groups / x));
    pass.end();
  };
  return {
    async host(student, teacher) {
      device.queue.writeBuffer(a, 0, student);
      device.queue.writeBuffer(b, 0, teacher);
      const encoder = device.createCommandEncoder();
      encodePass(encoder);
      encoder.copyBufferToBuffer(out, 0, staging, 0, bytes);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const result = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      return result;
    },
    async passAlone() {
      const encoder = device.createCommandEncoder();
      encodePass(encoder);
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
    },
    destroy: () => [a, b, out, staging].forEach((buffer) => buffer.destroy()),
  };
}

const median = (times) => [...times].sort((p, q) => p - q)[Math.floor(times.length / 2)];

for (const [B, C] of sizes) {
  const student = Float32Array.from({ length: B * C }, (_, k) => 3 * Math.sin(k * 0.37));
  const teacher = Float32Array.from({ length: B * C }, (_, k) => 3 * Math.cos(k * 0.91));
  const floor = floorFor(B, C);
  const bound = await backend.bind({ student, teacher, shape: [B, C] });
  const runs = {
    'floor host': () => floor.host(student, teacher),
    'webgpu host': () => backend.compute({ student, teacher, shape: [B, C], gradient: true }),
    'floor pass alone': () => floor.passAlone(),
    'webgpu resident': () => bound.compute(true),
  };
  const times = Object.fromEntries(Object.keys(runs).map((name) => [name, []]));
  for (const run of Object.values(runs)) await run(); // warm-up: pipelines, buffers
  for (let k = 0; k < repeats; k++) {
    for (const [name, run] of Object.entries(runs)) {
      const start = performance.now();
      await run();
      times[name].push(performance.now() - start);
    }
  }
  const medians = Object.fromEntries(Object.entries(times).map(([name, list]) => [name, Number(median(list).toFixed(2))]));
  const ratio = (a, b) => Number((medians[a] / medians[b]).toFixed(2));
  console.log(
    JSON.stringify({
      size: `${B}x${C}`,
      adapter: adapter.info.description || adapter.info.vendor,
      kernelShape: kernelShape ?? 'default',
      medians,
      hostOverFloor: ratio('webgpu host', 'floor host'),
      residentOverPass: ratio('webgpu resident', 'floor pass alone'),
    }),
  );
  await bound.dispose();
  floor.destroy();
}
await backend.dispose();
device.destroy();

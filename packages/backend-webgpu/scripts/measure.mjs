#!/usr/bin/env node
/**
 * A rough guide, not the bench: forward+backward time of this backend (built dist/) against the
 * design note's DIST written naively in tfjs ops with tf.grad, on @tensorflow/tfjs-backend-webgpu,
 * on the same adapter in the same process. Prints JSON lines. Run from the package folder:
 *   pnpm build && node scripts/vulkan-env.mjs node scripts/measure.mjs [BxC ...] [--repeats N] [--resident]
 * Two paths: host arrays in and gradient out (both sides pay the transfers), and with --resident
 * also everything on the GPU, as in a tfjs-webgpu training loop: both sides keep the logits as
 * tensors on the device and leave the gradient there (the fused side through `/tfjs`); only the loss
 * comes back.
 */
import { parseArgs } from 'node:util';
import { create, globals } from 'webgpu';

const { values, positionals } = parseArgs({
  options: { repeats: { type: 'string', default: '10' }, resident: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const shapes = (positionals.length ? positionals : ['256x1000', '1024x1000']).map((s) => s.split('x').map(Number));
const repeats = Number(values.repeats);

const dawn = create([]);
Object.assign(globalThis, globals, { navigator: { gpu: dawn } });
// @tensorflow/tfjs registers the gradients tf.grad needs (tfjs-core alone has none in Node).
const tf = await import('@tensorflow/tfjs');
await import('@tensorflow/tfjs-backend-webgpu');
await tf.setBackend('webgpu');
const { createBackend } = await import('../dist/index.js');
const { createTfjsDist } = await import('../dist/tfjs.js');

const beta = 2, gamma = 2, tau = 6, eps = 1e-8;

/** The design note's forward, op by op. */
function naiveLoss(student, teacher) {
  const pearson = (x, y) => {
    const xc = tf.sub(x, tf.mean(x, 1, true));
    const yc = tf.sub(y, tf.mean(y, 1, true));
    const num = tf.sum(tf.mul(xc, yc), 1);
    const den = tf.mul(tf.sqrt(tf.add(tf.sum(tf.square(xc), 1), eps)), tf.sqrt(tf.add(tf.sum(tf.square(yc), 1), eps)));
    return tf.div(num, tf.add(den, eps));
  };
  const p = tf.softmax(tf.div(student, tau));
  const q = tf.softmax(tf.div(teacher, tau));
  const inter = tf.mean(tf.sub(1, pearson(p, q)));
  const intra = tf.mean(tf.sub(1, pearson(tf.transpose(p), tf.transpose(q))));
  return tf.add(tf.mul(beta * tau * tau, inter), tf.mul(gamma * tau * tau, intra));
}

function median(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function time(run) {
  await run(); // warm-up: pipelines, buffers
  const times = [];
  for (let k = 0; k < repeats; k++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return Number(median(times).toFixed(2));
}

const backend = createBackend();
const availability = await backend.availability();
const residentDist = values.resident ? await createTfjsDist() : undefined;
for (const [B, C] of shapes) {
  const s = Float32Array.from({ length: B * C }, () => Math.random() * 8 - 4);
  const t = Float32Array.from({ length: B * C }, () => Math.random() * 8 - 4);
  const fused = await time(() => backend.compute({ student: s, teacher: t, shape: [B, C], gradient: true }));
  const teacher = tf.tensor2d(t, [B, C]);
  const gradFn = tf.valueAndGrad((x) => naiveLoss(x, teacher));
  const naive = await time(async () => {
    const student = tf.tensor2d(s, [B, C]);
    const { value, grad } = gradFn(student);
    await value.data();
    await grad.data();
    tf.dispose([student, value, grad]);
  });
  const line = { shape: `${B}x${C}`, adapter: availability.device, repeats, fusedMs: fused, naiveTfjsWebgpuMs: naive, speedup: Number((naive / fused).toFixed(1)) };
  if (residentDist) {
    const student = tf.tensor2d(s, [B, C]);
    const residentFused = await time(async () => {
      const result = await residentDist.compute(student, teacher, { beta, gamma, tau, eps });
      result.gradient.dispose();
    });
    const residentNaive = await time(async () => {
      const { value, grad } = gradFn(student);
      await value.data();
      tf.dispose([value, grad]);
    });
    student.dispose();
    Object.assign(line, { residentFusedMs: residentFused, residentNaiveMs: residentNaive, residentSpeedup: Number((residentNaive / residentFused).toFixed(1)) });
  }
  console.log(JSON.stringify(line));
  teacher.dispose();
}
await residentDist?.dispose();
await backend.dispose();
process.exit(0);

#!/usr/bin/env node
/**
 * A rough guide, not the bench: forward+backward with everything already on the GPU, the way a
 * tfjs-webgpu training loop uses DIST. Both sides keep the logits as tfjs tensors on the device and
 * leave the gradient there; only the loss comes back to the host. The fused kernels run through
 * `@dist-kd/backend-webgpu/tfjs`, the naive side is the design note's formula in tfjs ops + tf.grad
 * (scripts/measure.mjs times the host-memory path of both). Prints JSON lines.
 *   pnpm build && node scripts/vulkan-env.mjs node scripts/gpu-resident.mjs [BxC ...] [--repeats N]
 */
import { parseArgs } from 'node:util';
import { create, globals } from 'webgpu';

const { values, positionals } = parseArgs({ options: { repeats: { type: 'string', default: '10' } }, allowPositionals: true });
const shapes = (positionals.length ? positionals : ['256x1000', '1024x1000']).map((s) => s.split('x').map(Number));
const repeats = Number(values.repeats);

const dawn = create([]);
Object.assign(globalThis, globals, { navigator: { gpu: dawn } });
const tf = await import('@tensorflow/tfjs');
await import('@tensorflow/tfjs-backend-webgpu');
await tf.setBackend('webgpu');
const { createTfjsDist } = await import('../dist/tfjs.js');

const beta = 2, gamma = 2, tau = 6, eps = 1e-8;

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

async function time(run) {
  await run();
  await run();
  const times = [];
  for (let k = 0; k < repeats; k++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return Number(times[Math.floor(times.length / 2)].toFixed(3));
}

const fusedDist = await createTfjsDist();
for (const [B, C] of shapes) {
  const student = tf.randomNormal([B, C], 0, 3, 'float32', 1);
  const teacher = tf.randomNormal([B, C], 0, 3, 'float32', 2);
  const fused = await time(async () => {
    const result = await fusedDist.compute(student, teacher, { beta, gamma, tau, eps });
    result.gradient.dispose();
  });
  const gradFn = tf.valueAndGrad((x) => naiveLoss(x, teacher));
  const naive = await time(async () => {
    const { value, grad } = gradFn(student);
    await value.data();
    tf.dispose([value, grad]);
  });
  console.log(JSON.stringify({ shape: `${B}x${C}`, path: 'gpu-resident', repeats, fusedMs: fused, naiveTfjsWebgpuMs: naive, speedup: Number((naive / fused).toFixed(1)) }));
  tf.dispose([student, teacher]);
}
await fusedDist.dispose();
process.exit(0);

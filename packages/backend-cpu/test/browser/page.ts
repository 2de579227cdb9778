/** The test page: the backend as a browser bundle computes a large case and says how it ran. */
import { createCpuBackend } from '../../src/index.js';

function logits(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 8;
  });
}

const [batch, classes] = [256, 1000];

async function run() {
  const cpu = createCpuBackend();
  const availability = await cpu.availability();
  const student = logits(batch * classes, 1);
  const teacher = logits(batch * classes, 2);
  const result = await cpu.compute({ student, teacher, shape: [batch, classes], gradient: true });
  await cpu.dispose();
  return {
    availability,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    loss: result.loss,
    gradientHead: Array.from(result.gradient!.subarray(0, 8)),
  };
}

(window as unknown as { distResult: Promise<unknown> }).distResult = run();
document.title = 'ready';

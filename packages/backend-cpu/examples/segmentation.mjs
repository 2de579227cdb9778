import { maskFromLabels } from '@dist-kd/core';
import { createCpuBackend } from '@dist-kd/backend-cpu';

// Per-pixel logits of a segmentation head, PyTorch's NCHW layout: 2 images, 19 classes, 4x6 pixels.
const [N, C, H, W] = [2, 19, 4, 6];
const student = Float32Array.from({ length: N * C * H * W }, (_, k) => 2 * Math.sin(0.37 * k));
const teacher = Float32Array.from({ length: N * C * H * W }, (_, k) => 2 * Math.sin(0.37 * k + 0.3));
// Ground-truth labels [N, H, W]; 255 marks "void" pixels, which DIST ignores like the cross-entropy does.
const labels = Uint8Array.from({ length: N * H * W }, (_, k) => (k % 5 === 0 ? 255 : k % C));

const cpu = createCpuBackend();
const { loss, gradient } = await cpu.compute({
  student,
  teacher,
  shape: [N, C, H, W],
  layout: 'nchw',
  mask: maskFromLabels(labels), // 0 where the label is 255 (the default ignore index)
  options: { beta: 1, gamma: 1, tau: 1, epsMode: 'official' }, // the paper's Cityscapes setting
  gradient: true, // dloss/dstudent in NCHW, exactly 0 on void pixels
});
console.log(`loss ${loss.toFixed(4)} over ${labels.filter((l) => l !== 255).length} of ${N * H * W} pixels`);
console.log(`gradient [${gradient.length}], at a void pixel: ${gradient[0]}`);
await cpu.dispose();

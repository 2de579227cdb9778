import { createCpuBackend, PRESETS } from '@dist-kd/backend-cpu';

// Logits of 4 samples over 5 classes, row-major, as a model would produce them.
const [batch, classes] = [4, 5];
const student = Float32Array.from({ length: batch * classes }, (_, k) => 3 * Math.sin(k));
const teacher = Float32Array.from({ length: batch * classes }, (_, k) => 3 * Math.sin(k + 0.5));

const cpu = createCpuBackend();
const { loss, inter, intra, gradient } = await cpu.compute({
  student,
  teacher,
  shape: [batch, classes],
  options: PRESETS.cifar100.options, // tau = 4, beta = gamma = 1; the default is the design note's
  gradient: true, // dloss/dstudent, a Float32Array like the student
});
console.log(`loss ${loss.toFixed(4)}: inter ${inter.toFixed(4)}, intra ${intra.toFixed(4)}`);
console.log(`dloss/dstudent[0] = ${gradient[0].toExponential(3)}`);
await cpu.dispose();

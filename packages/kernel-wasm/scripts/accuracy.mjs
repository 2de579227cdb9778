// Where the SIMD kernel loses precision: each stage of one call (the softmax in both forms, the
// rows' and columns' correlation terms, the gradient) against core's float64 reference, and the
// gradient against PyTorch float32 (the design note's class under autograd) on the same inputs.
// Run after `pnpm build`:
//   node packages/kernel-wasm/scripts/accuracy.mjs [BxC ...] [--tau T] [--scale S] [--activation sigmoid] [--python PATH]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { correlation, mulberry32, referenceDist, resolveOptions } from '@dist-kd/core';
import { SimdKernel, ownMemoryHost, rowStrideOf, simdKernelModule } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
/** Takes `--name VALUE` out of the arguments. */
function option(name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : fallback;
}
const python = option('--python', '/usr/bin/python3');
const scale = Number(option('--scale', '3'));
const tau = option('--tau');
const activation = option('--activation', 'softmax');
// --tau 1 with beta = gamma = 1: the settings of the conformance's wide cases (wide.json).
const base = { activation, ...(tau === undefined ? {} : { tau: Number(tau), beta: 1, gamma: 1 }) };
const sizes = (args.length ? args : ['2x262144', '256x1000']).map((s) => s.split('x').map(Number));
// The design note's DIST class, kept by the conformance package.
const conformanceScripts = join(here, '..', '..', 'conformance', 'scripts');

/** The bench's inputs: seeded normal(0, 1) * 3 logits (apps/bench/src/inputs.ts). */
function normalArray(count, random, scale) {
  const out = new Float32Array(count);
  for (let k = 0; k < count; k += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - random())) * scale;
    const angle = 2 * Math.PI * random();
    out[k] = radius * Math.cos(angle);
    if (k + 1 < count) out[k + 1] = radius * Math.sin(angle);
  }
  return out;
}

/** Row-wise softmax(logits / tau) in float64, as core's reference computes it. */
function softmaxRows(logits, B, C, tau) {
  return Array.from({ length: B }, (_, i) => {
    const row = Float64Array.from(logits.subarray(i * C, (i + 1) * C), (x) => x / tau);
    const max = row.reduce((m, v) => Math.max(m, v), -Infinity);
    let sum = 0;
    for (let j = 0; j < C; j++) sum += row[j] = Math.exp(row[j] - max);
    return row.map((v) => v / sum);
  });
}

/** sigmoid(logits / tau) in float64, 1 - p as sigmoid(-z) where p is near 1. */
function sigmoidRows(logits, B, C, tau) {
  return Array.from({ length: B }, (_, i) => Float64Array.from(logits.subarray(i * C, (i + 1) * C), (x) => 1 / (1 + Math.exp(-x / tau))));
}

const maxAbs = (a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
function relativeError(got, want) {
  let worst = 0;
  for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(got[k] - want[k]));
  return worst / maxAbs(want);
}

/** The batch region's layout (assembly/layout.ts, placeBatch), from address 0. */
function batchLayout(B, C) {
  const stride = rowStrideOf(C);
  let top = 0;
  const take = (bytes) => {
    const at = top;
    top += Math.ceil(bytes / 16) * 16;
    return at;
  };
  const matrix = B * stride * 4;
  return {
    stride,
    student: take(matrix),
    teacher: take(matrix),
    studentCentred: take(matrix),
    teacherCentred: take(matrix),
    rowU: take(B * 8),
    rowV: take(B * 8),
    rowMeanStudent: take(B * 8),
    rowMeanTeacher: take(B * 8),
    columnU: take(stride * 8),
    columnV: take(stride * 8),
  };
}

function torchGradient(student, teacher, B, C, options) {
  const dir = mkdtempSync(join(tmpdir(), 'dist-accuracy-'));
  try {
    const header = JSON.stringify({ batch: B, classes: C, beta: options.beta, gamma: options.gamma, tau: options.tau, epsMode: options.epsMode, activation: options.activation });
    const input = join(dir, 'in.bin');
    writeFileSync(input, Buffer.concat([Buffer.from(header + '\n'), Buffer.from(student.buffer), Buffer.from(teacher.buffer)]));
    execFileSync(python, [join(here, 'torch_float32.py'), input, join(dir, 'grad.bin'), conformanceScripts], { stdio: ['ignore', 'ignore', 'inherit'] });
    const bytes = readFileSync(join(dir, 'grad.bin'));
    return new Float32Array(bytes.buffer, bytes.byteOffset, B * C);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function measure(B, C, options, seed) {
  const random = mulberry32(seed);
  const student = normalArray(B * C, random, scale);
  const teacher = normalArray(B * C, random, scale);
  const host = ownMemoryHost();
  const kernel = new SimdKernel(simdKernelModule(), host, 'accuracy');
  const gradient = new Float32Array(B * C);
  kernel.run({ values: student }, { values: teacher }, B, C, options, { values: gradient });

  // Stages in float64 from the same logits.
  const sigmoid = options.activation === 'sigmoid';
  const activate = sigmoid ? sigmoidRows : softmaxRows;
  const p = activate(student, B, C, options.tau);
  const q = activate(teacher, B, C, options.tau);
  // The kernel's second form of each value, p - c (assembly/layout.ts, formOffset).
  const c = sigmoid ? 1 : 1 / C;
  const L = batchLayout(B, C);
  const f32 = new Float32Array(host.memory.buffer);
  const f64 = new Float64Array(host.memory.buffer);
  const kernelRow = (base, i) => f32.subarray(base / 4 + i * L.stride, base / 4 + i * L.stride + C);
  let pRel = 0;
  let pcErr = 0;
  let pcMax = 0;
  for (let i = 0; i < B; i++) {
    const kp = kernelRow(L.student, i);
    const kpc = kernelRow(L.studentCentred, i);
    for (let j = 0; j < C; j++) {
      pRel = Math.max(pRel, Math.abs(kp[j] - p[i][j]) / p[i][j]);
      // The sigmoid's p - 1 is -sigmoid(-z), which p - 1 in float64 rounds to 0 for large z.
      const second = sigmoid ? -1 / (1 + Math.exp(student[i * C + j] / options.tau)) : p[i][j] - c;
      pcErr = Math.max(pcErr, Math.abs(kpc[j] - second) / (sigmoid ? Math.abs(second) : 1));
      pcMax = Math.max(pcMax, sigmoid ? 1 : Math.abs(second));
    }
  }
  const terms = (c) => ({ u: 1 / c.D, v: c.a === 0 ? 0 : (c.r * c.b) / (c.a * c.D) });
  const rows = p.map((pi, i) => terms(correlation(pi, q[i], options)));
  const column = (m, j) => Float64Array.from(m, (row) => row[j]);
  const columns = Array.from({ length: C }, (_, j) => terms(correlation(column(p, j), column(q, j), options)));
  const stageError = (want, base, key) => relativeError(Float64Array.from(want, (_, k) => f64[base / 8 + k]), Float64Array.from(want, (t) => t[key]));

  const reference = referenceDist({ student, teacher, shape: [B, C], options, gradient: true }).gradient;
  const torch = torchGradient(student, teacher, B, C, options);
  return {
    size: `${B}x${C}`,
    eps: options.epsMode,
    'p (rel)': pRel,
    'p - c': pcErr / pcMax,
    'row u': stageError(rows, L.rowU, 'u'),
    'row v': stageError(rows, L.rowV, 'v'),
    'col u': stageError(columns, L.columnU, 'u'),
    'col v': stageError(columns, L.columnV, 'v'),
    'grad: kernel': relativeError(gradient, reference),
    'grad: torch f32': relativeError(torch, reference),
  };
}

const results = [];
for (const [B, C] of sizes) {
  for (const epsMode of ['design-note', 'official']) results.push(measure(B, C, resolveOptions({ ...base, epsMode }), 20260520));
}
const format = (v) => (typeof v === 'number' ? v.toExponential(2) : v);
const keys = Object.keys(results[0]);
console.log(`| ${keys.join(' | ')} |\n| ${keys.map(() => '---').join(' | ')} |`);
for (const r of results) console.log(`| ${keys.map((k) => format(r[k])).join(' | ')} |`);
console.log(`errors: max |got - float64| / max |float64| (p, and p - c for the sigmoid (c = 1): elementwise relative; c = 1/C for the softmax); bench inputs (seed 20260520, logits ${scale} * normal), options ${JSON.stringify(base)}`);

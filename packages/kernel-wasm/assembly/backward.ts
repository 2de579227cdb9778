/**
 * dloss/dstudent (SPEC.md): per element, the loss's gradient with respect to the softmax,
 * G = -rowScale * (u_i * qc - v_i * pc) - colScale * (u_j * qcc - v_j * pcc),
 * where qc, pc are row-centred and qcc, pcc column-centred, then the softmax backward
 * p * (G - sum_k p_k G_k). rowScale = upstream * beta * tau / B and colScale = upstream * gamma * tau / C
 * carry the tau^2 of the loss, the 1 / tau of the softmax and the means over rows and columns.
 */
import { CHUNK, total, widenAdd } from './lanes';
import {
  columnCoefU,
  columnCoefV,
  columnU,
  columnV,
  formStudent,
  formTeacher,
  loopConstants,
  meanStudent,
  meanTeacher,
  rowMeanStudent,
  rowMeanTeacher,
  rowScratch,
  rowU,
  rowV,
  stride,
  student,
  studentCentred,
  teacher,
  teacherCentred,
  vectors,
} from './layout';

// Where in `loopConstants` each per-row constant sits.
const ROW_U: usize = 0;
const ROW_V: usize = 16;
const PROJECTION: usize = 32;
// The sigmoid's row means, each as a float32 pair high + low.
const MEAN_P_HIGH: usize = 32;
const MEAN_P_LOW: usize = 48;
const MEAN_Q_HIGH: usize = 64;
const MEAN_Q_LOW: usize = 80;

/** The columns' coefficients, scaled, in float32 for the loops (this instance's thread region). */
export function storeColumnCoefficients(colScale: f64): void {
  for (let j = 0; j < stride; j++) {
    store<f32>(columnCoefU + (<usize>j << 2), <f32>(-colScale * load<f64>(columnU + (<usize>j << 3))));
    store<f32>(columnCoefV + (<usize>j << 2), <f32>(colScale * load<f64>(columnV + (<usize>j << 3))));
  }
}

/** Row `i`'s coefficients, scaled, splat into `loopConstants` (per-row constants go through memory). */
function storeRowCoefficients(i: i32, rowScale: f64): void {
  v128.store(loopConstants + ROW_U, f32x4.splat(<f32>(-rowScale * load<f64>(rowU + (<usize>i << 3)))));
  v128.store(loopConstants + ROW_V, f32x4.splat(<f32>(rowScale * load<f64>(rowV + (<usize>i << 3)))));
}

/**
 * G per element: the row term's coefficients (in `constants`) on the row-centred qc and pc, plus
 * the column's (at `coefU` and `coefV`) on the column-centred qcc and pcc.
 */
// @ts-ignore: decorator
@inline
function lossGradient(pc: v128, qc: v128, pcc: v128, qcc: v128, constants: usize, coefU: usize, coefV: usize): v128 {
  return f32x4.add(
    f32x4.add(f32x4.mul(v128.load(constants + ROW_U), qc), f32x4.mul(v128.load(constants + ROW_V), pc)),
    f32x4.add(f32x4.mul(v128.load(coefU), qcc), f32x4.mul(v128.load(coefV), pcc)),
  );
}

/**
 * Writes rows [first, first + count) of the gradient at `gradient` (the whole matrix's address),
 * of the softmax, or with `sigmoid` of the sigmoid (SPEC.md, Activation): dloss/dstudent =
 * p * (1 - p) * G per element, with the same G as the softmax's (rowScale and colScale carry the
 * 1 / tau), and 1 - p from the stored p - 1, precise near 1. The sigmoid's rows are centred here, by
 * each row's float64 mean as a float32 pair (p - high - low), so that a row whose spread is small
 * next to its mean keeps its deviations.
 */
export function backwardRows(gradient: usize, first: i32, count: i32, rowScale: f64, sigmoid: bool): void {
  const rowBytes = <usize>stride << 2;
  // The addresses the loops use, read once: V8 reloads a global at every use in a loop.
  const pRows = student;
  const pcRows = studentCentred;
  const qRows = teacher;
  const qcRows = teacherCentred;
  const formP = formStudent;
  const formQ = formTeacher;
  const meanP = meanStudent;
  const meanQ = meanTeacher;
  const constants = loopConstants;
  const coefU = columnCoefU;
  const coefV = columnCoefV;
  const scratch = rowScratch;
  for (let i = first; i < first + count; i++) {
    const row = <usize>i * rowBytes;
    storeRowCoefficients(i, rowScale);
    if (sigmoid) {
      storePair(load<f64>(rowMeanStudent + (<usize>i << 3)), MEAN_P_HIGH, MEAN_P_LOW);
      storePair(load<f64>(rowMeanTeacher + (<usize>i << 3)), MEAN_Q_HIGH, MEAN_Q_LOW);
      for (let k = 0; k < vectors; k++) {
        const at = <usize>k << 4;
        const p = v128.load(pRows + row + at);
        const pMinusOne = v128.load(pcRows + row + at);
        const q = v128.load(qRows + row + at);
        const qMinusOne = v128.load(qcRows + row + at);
        const pc = f32x4.sub(f32x4.sub(p, v128.load(constants + MEAN_P_HIGH)), v128.load(constants + MEAN_P_LOW));
        const qc = f32x4.sub(f32x4.sub(q, v128.load(constants + MEAN_Q_HIGH)), v128.load(constants + MEAN_Q_LOW));
        const pcc = f32x4.sub(v128.bitselect(p, pMinusOne, v128.load(formP + at)), v128.load(meanP + at));
        const qcc = f32x4.sub(v128.bitselect(q, qMinusOne, v128.load(formQ + at)), v128.load(meanQ + at));
        const g = lossGradient(pc, qc, pcc, qcc, constants, coefU + at, coefV + at);
        // p * (1 - p) = -p * (p - 1).
        v128.store(gradient + row + at, f32x4.mul(f32x4.mul(p, f32x4.neg(pMinusOne)), g));
      }
      continue;
    }
    let projection = f64x2.splat(0);
    for (let start = 0; start < vectors; start += CHUNK) {
      const end = min(start + CHUNK, vectors);
      let chunk = f32x4.splat(0);
      for (let k = start; k < end; k++) {
        const at = <usize>k << 4;
        const p = v128.load(pRows + row + at);
        const pc = v128.load(pcRows + row + at);
        const q = v128.load(qRows + row + at);
        const qc = v128.load(qcRows + row + at);
        const pcc = f32x4.sub(v128.bitselect(p, pc, v128.load(formP + at)), v128.load(meanP + at));
        const qcc = f32x4.sub(v128.bitselect(q, qc, v128.load(formQ + at)), v128.load(meanQ + at));
        const g = lossGradient(pc, qc, pcc, qcc, constants, coefU + at, coefV + at);
        v128.store(scratch + at, g);
        chunk = f32x4.add(chunk, f32x4.mul(p, g));
      }
      projection = widenAdd(projection, chunk);
    }
    v128.store(constants + PROJECTION, f32x4.splat(<f32>total(projection)));
    for (let k = 0; k < vectors; k++) {
      const at = <usize>k << 4;
      const p = v128.load(pRows + row + at);
      v128.store(gradient + row + at, f32x4.mul(p, f32x4.sub(v128.load(scratch + at), v128.load(constants + PROJECTION))));
    }
  }
}

/** A float64 value as a float32 pair, high + low, splat into `loopConstants` at `high` and `low`. */
function storePair(value: f64, high: usize, low: usize): void {
  const h = <f32>value;
  v128.store(loopConstants + high, f32x4.splat(h));
  v128.store(loopConstants + low, f32x4.splat(<f32>(value - <f64>h)));
}

/**
 * A worker of the CPU backend's thread pool: the forward kernels over the rows it is sent, then,
 * on request, the backward kernels over the same rows, whose softmax it kept.
 */
import { parentPort } from 'node:worker_threads';
import type { DistOptions } from '@dist-kd/core';
import { backwardRows } from '../kernels/backward-rows.js';
import { columnPartialBuffer, resetColumnPartial } from '../kernels/column-stats.js';
import { forwardRows } from '../kernels/forward-rows.js';
import { Workspace } from '../workspace.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

let workspace: Workspace | undefined;
/** What the last forward message said, for the backward message that follows it. */
let last: { batch: number; rows: number; options: DistOptions } | undefined;

function run(request: WorkerRequest): { reply: WorkerReply; transfer: ArrayBuffer[] } {
  if (request.type === 'forward') {
    const { id, batch, classes, student, teacher, options, keepSoftmax } = request;
    const rows = student.length / classes;
    const ws = (workspace = Workspace.reuse(workspace, rows, classes, keepSoftmax));
    resetColumnPartial(ws.partial);
    const sum = forwardRows(student, teacher, classes, 0, rows, options, ws.store, ws.rowStats, ws.partial, ws.rowSums);
    last = { batch, rows, options };
    const partial = columnPartialBuffer(ws.partial).slice(0) as ArrayBuffer;
    return { reply: { id, ok: true, sumOneMinusR: sum, rows: ws.partial.rows, partial }, transfer: [partial] };
  }
  if (!workspace || !last) throw new Error('a backward message came before any forward message');
  const { rows, batch, options } = last;
  const { classes } = workspace;
  const gradient = request.gradientType === 'float32' ? new Float32Array(rows * classes) : new Float64Array(rows * classes);
  const ws = workspace;
  backwardRows(ws.store.student, ws.store.teacher, batch, classes, 0, rows, options, ws.rowStats, request.coefficients, ws.rowScratch, gradient);
  return { reply: { id: request.id, ok: true, gradient }, transfer: [gradient.buffer as ArrayBuffer] };
}

parentPort!.on('message', (request: WorkerRequest) => {
  try {
    const { reply, transfer } = run(request);
    parentPort!.postMessage(reply, transfer);
  } catch (error) {
    const e = error as Error & { code?: string };
    parentPort!.postMessage({ id: request.id, ok: false, name: e.name, code: e.code, message: e.message } satisfies WorkerReply);
  }
});

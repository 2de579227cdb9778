/**
 * A worker of the CPU backend's thread pool: the forward kernels over the rows it is sent, then,
 * on request, the backward kernels over the same rows, whose softmax it kept.
 */
import { parentPort } from 'node:worker_threads';
import type { DistOptions } from '@dist-kd/core';
import { columnPartialBuffer } from '../kernels/column-stats.js';
import { Workspace } from '../workspace.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

let workspace: Workspace | undefined;
/** What the last forward message said, for the backward message that follows it. */
let last: { batch: number; options: DistOptions } | undefined;

function run(request: WorkerRequest): { reply: WorkerReply; transfer: ArrayBuffer[] } {
  if (request.type === 'forward') {
    const { id, batch, classes, student, teacher, options, keepSoftmax } = request;
    const rows = student.length / classes;
    const ws = (workspace = Workspace.reuse(workspace, rows, classes, keepSoftmax));
    const sum = ws.forward(student, teacher, options);
    last = { batch, options };
    const partial = columnPartialBuffer(ws.partial).slice(0) as ArrayBuffer;
    return { reply: { id, ok: true, sumOneMinusR: sum, rows: ws.partial.rows, partial }, transfer: [partial] };
  }
  if (!workspace || !last) throw new Error('a backward message came before any forward message');
  const { batch, options } = last;
  const length = workspace.rows * workspace.classes;
  const gradient = request.gradientType === 'float32' ? new Float32Array(length) : new Float64Array(length);
  workspace.backward(batch, options, request.coefficients, gradient);
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

/**
 * A worker of the CPU backend's thread pool: the forward kernels over the rows it is sent (or over
 * the resident rows a bound call left it), then, on request, the backward kernels over the same
 * rows, whose softmax it kept.
 */
import { parentPort } from 'node:worker_threads';
import type { DistOptions } from '@dist-kd/core';
import { columnPartialBuffer } from '../kernels/column-stats.js';
import { Workspace } from '../workspace.js';
import type { WorkerReply, WorkerRequest, WorkerRows } from './protocol.js';

let workspace: Workspace | undefined;
/** The rows of the binding the pool last ran here, kept so that its next calls send none. */
let resident: WorkerRows | undefined;
/** What the last forward message said, for the backward message that follows it. */
let last: { batch: number; options: DistOptions } | undefined;

function run(request: WorkerRequest): { reply: WorkerReply; transfer: ArrayBuffer[] } {
  if (request.type === 'release') {
    resident = undefined;
    return { reply: { id: request.id, ok: true }, transfer: [] };
  }
  if (request.type === 'forward') {
    const { id, batch, classes, options, keepSoftmax } = request;
    const rows = request.rows === 'resident' ? resident : request.rows;
    if (!rows) throw new Error('a forward message asked for resident rows, but none are kept');
    if (request.keepRows) resident = rows;
    const ws = (workspace = Workspace.reuse(workspace, rows.student.length / classes, classes, keepSoftmax));
    const sum = ws.forward(rows.student, rows.teacher, options);
    last = { batch, options };
    const partial = columnPartialBuffer(ws.partial).slice(0) as ArrayBuffer;
    return { reply: { id, ok: true, sumOneMinusR: sum, rows: ws.partial.rows, partial }, transfer: [partial] };
  }
  if (!workspace || !last) throw new Error('a backward message came before any forward message');
  const { batch, options } = last;
  const gradient = gradientRows(workspace.rows * workspace.classes, request.gradientType, request.recycled);
  workspace.backward(batch, options, request.coefficients, gradient);
  return { reply: { id: request.id, ok: true, gradient }, transfer: [gradient.buffer as ArrayBuffer] };
}

/** The recycled array when it has this type and length, else a new one. */
function gradientRows(length: number, type: 'float32' | 'float64', recycled: Float32Array | Float64Array | undefined): Float32Array | Float64Array {
  const Type = type === 'float32' ? Float32Array : Float64Array;
  return recycled instanceof Type && recycled.length === length ? recycled : new Type(length);
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

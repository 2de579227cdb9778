/**
 * A worker of the CPU backend's thread pool: runs the forward or backward kernels over the rows it
 * is given, on memory shared with the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { backwardRows } from '../kernels/backward-rows.js';
import { resetColumnPartial } from '../kernels/column-stats.js';
import { forwardRows } from '../kernels/forward-rows.js';
import { Workspace } from '../workspace.js';
import { typedArray, type SharedMemory, type WorkerReply, type WorkerRequest } from './protocol.js';

interface Views {
  workspace: Workspace;
  student: Float32Array | Float64Array;
  teacher: Float32Array | Float64Array;
  gradient: Float32Array | Float64Array;
}

function viewsOf(memory: SharedMemory): Views {
  return {
    workspace: new Workspace(memory.workspace),
    student: typedArray(memory.inputType, memory.student),
    teacher: typedArray(memory.inputType, memory.teacher),
    gradient: typedArray(memory.gradientType, memory.gradient),
  };
}

let views: Views | undefined;

function run(request: Exclude<WorkerRequest, { type: 'memory' }>, v: Views): WorkerReply {
  const { id, thread, rowStart, rowEnd, options } = request;
  const ws = v.workspace;
  const { batch, classes } = ws.memory;
  if (request.type === 'forward') {
    const partial = ws.partials[thread];
    resetColumnPartial(partial);
    const sum = forwardRows(v.student, v.teacher, classes, rowStart, rowEnd, options, ws.store(thread), ws.rowStats, partial, ws.rowSums(thread));
    return { id, ok: true, sumOneMinusR: sum, rows: partial.rows };
  }
  backwardRows(
    ws.softmaxStudent,
    ws.softmaxTeacher,
    batch,
    classes,
    rowStart,
    rowEnd,
    options,
    ws.rowStats,
    ws.coefficients,
    ws.rowScratch(thread),
    v.gradient,
  );
  return { id, ok: true, sumOneMinusR: 0, rows: rowEnd - rowStart };
}

parentPort!.on('message', (request: WorkerRequest) => {
  if (request.type === 'memory') {
    views = viewsOf(request.memory);
    return;
  }
  let reply: WorkerReply;
  try {
    if (!views) throw new Error('worker received a job before its memory');
    reply = run(request, views);
  } catch (error) {
    const e = error as Error & { code?: string };
    reply = { id: request.id, ok: false, name: e.name, code: e.code, message: e.message };
  }
  parentPort!.postMessage(reply);
});

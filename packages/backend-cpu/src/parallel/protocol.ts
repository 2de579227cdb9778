import type { DistOptions } from '@dist-kd/core';
import type { WorkspaceMemory } from '../workspace.js';

export type ElementType = 'float32' | 'float64';

/** Shared memory for one shape: the workspace plus the inputs and the gradient. */
export interface SharedMemory {
  readonly workspace: WorkspaceMemory;
  readonly inputType: ElementType;
  readonly gradientType: ElementType;
  readonly student: SharedArrayBuffer;
  readonly teacher: SharedArrayBuffer;
  readonly gradient: SharedArrayBuffer;
}

export type WorkerRequest =
  | { readonly type: 'memory'; readonly memory: SharedMemory }
  | {
      readonly type: 'forward' | 'backward';
      readonly id: number;
      readonly thread: number;
      readonly rowStart: number;
      readonly rowEnd: number;
      readonly options: DistOptions;
    };

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly sumOneMinusR: number; readonly rows: number }
  | { readonly id: number; readonly ok: false; readonly name: string; readonly code?: string; readonly message: string };

export function typedArray(type: ElementType, buffer: SharedArrayBuffer): Float32Array | Float64Array {
  return type === 'float32' ? new Float32Array(buffer) : new Float64Array(buffer);
}

import type { DistOptions } from '@dist-kd/core';
import type { ColumnCoefficients } from '../kernels/backward-rows.js';

/** A worker's rows of the student and teacher logits. */
export interface WorkerRows {
  readonly student: Float32Array | Float64Array;
  readonly teacher: Float32Array | Float64Array;
}

/**
 * Messages between the pool and a worker. Nothing is shared: a worker receives copies of its rows
 * (transferred, not cloned), keeps their softmax between the forward and the backward message, and
 * sends back its column sums and its rows of the gradient (transferred; the pool hands that buffer
 * back with the next backward message, so a steady loop allocates no gradient rows). Rows of a
 * bound call are kept as the worker's resident rows, and later calls of that binding send none.
 * Typed arrays on a SharedArrayBuffer would save those copies but cost more: V8 reads and writes
 * them element by element with relaxed atomics, which made copying into them alone take longer
 * than the kernels.
 */
export type WorkerRequest =
  | {
      readonly type: 'forward';
      readonly id: number;
      /** B of the whole call (the row term's scale). */
      readonly batch: number;
      readonly classes: number;
      /** This call's rows, or `resident`: the rows a previous message asked the worker to keep. */
      readonly rows: WorkerRows | 'resident';
      /** Keep `rows` as the resident rows, replacing any kept before. */
      readonly keepRows: boolean;
      readonly options: DistOptions;
      /** Keep the softmax for a backward message. */
      readonly keepSoftmax: boolean;
    }
  | {
      readonly type: 'backward';
      readonly id: number;
      readonly coefficients: ColumnCoefficients;
      /** Array type of the gradient rows to send back. */
      readonly gradientType: 'float32' | 'float64';
      /** The gradient rows the worker sent last time, to write into if they still fit. */
      readonly recycled?: Float32Array | Float64Array;
    }
  | {
      /** Drop the resident rows. */
      readonly type: 'release';
      readonly id: number;
    };

export type WorkerReply =
  | {
      readonly id: number;
      readonly ok: true;
      /** forward: sum over the worker's rows of (1 - r), its rows accumulated and its column sums. */
      readonly sumOneMinusR?: number;
      readonly rows?: number;
      readonly partial?: ArrayBuffer;
      /** backward: the worker's rows of the gradient. */
      readonly gradient?: Float32Array | Float64Array;
    }
  | { readonly id: number; readonly ok: false; readonly name: string; readonly code?: string; readonly message: string };

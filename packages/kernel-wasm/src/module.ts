/**
 * The compiled kernel: two builds of one source (a module imports either an unshared or a shared
 * memory). A few kilobytes each, so synchronous compilation is allowed on a browser's main thread too.
 */
import { DIST_KERNEL_WASM, DIST_KERNEL_WASM_SHARED } from './generated/dist-kernel-wasm.js';

/** What the kernel module exports (assembly/index.ts). */
export interface KernelExports {
  batchBytes(batch: number, classes: number): number;
  threadBytes(classes: number): number;
  statisticsBytes(classes: number): number;
  layOut(batch: number, classes: number, batchBase: number, threadBase: number): void;
  rowStride(): number;
  columnRowBlock(): number;
  activateRows(
    student: number,
    teacher: number,
    first: number,
    count: number,
    log2eOverTau: number,
    eps: number,
    epsInside: number,
    limit: number,
    activation: ActivationCode,
  ): void;
  forwardRows(
    student: number,
    teacher: number,
    first: number,
    count: number,
    partFirst: number,
    activated: number,
    log2eOverTau: number,
    eps: number,
    epsInside: number,
    limit: number,
    activation: ActivationCode,
  ): void;
  finishPart(count: number, statistics: number): number;
  finishColumns(statistics: number, eps: number, epsInside: number, activation: ActivationCode): number;
  startBackward(colScale: number): void;
  backwardRows(gradient: number, first: number, count: number, rowScale: number, activation: ActivationCode): void;
}

/** The kernel's numbers for the activations (assembly/layout.ts: SOFTMAX, SIGMOID). */
export const ACTIVATION_CODES = { softmax: 0, sigmoid: 1 } as const;
export type ActivationCode = (typeof ACTIVATION_CODES)[keyof typeof ACTIVATION_CODES];

export type MemoryKind = 'unshared' | 'shared';

const compiled: Partial<Record<MemoryKind, WebAssembly.Module>> = {};
const failures: Partial<Record<MemoryKind, Error>> = {};

/**
 * The kernel compiled for an unshared or a shared memory, or undefined where this WebAssembly engine
 * cannot compile it (no SIMD; no threads for the shared build): `simdKernelError` says why.
 */
export function simdKernelModule(kind: MemoryKind = 'unshared'): WebAssembly.Module | undefined {
  if (!compiled[kind] && !failures[kind]) {
    try {
      const base64 = kind === 'shared' ? DIST_KERNEL_WASM_SHARED : DIST_KERNEL_WASM;
      compiled[kind] = new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    } catch (error) {
      failures[kind] = error as Error;
    }
  }
  return compiled[kind];
}

export function simdKernelError(kind: MemoryKind = 'unshared'): Error | undefined {
  return failures[kind];
}

export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
}

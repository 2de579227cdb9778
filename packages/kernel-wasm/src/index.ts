export { simdKernelModule, simdKernelError, type KernelExports, type MemoryKind } from './module.js';
export { SimdKernel, ownMemoryHost, type KernelHost, type KernelMatrix } from './simd-kernel.js';
export { ParallelSimdKernel, DEFAULT_PARALLEL_THRESHOLD, MAX_THREADS, type KernelRegion, type ParallelKernelOptions } from './parallel-kernel.js';
export type { CallTerms, CallShape, PartHooks, RowRange, WholeBatch } from './dist-call.js';
export { rowStrideOf } from './matrices.js';

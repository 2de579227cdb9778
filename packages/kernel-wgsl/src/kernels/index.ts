/** The kernels, registered in one place: the host creates one compute pipeline per entry. */
import { columnStatisticsWgsl } from './column-statistics.js';
import type { KernelShape } from './common.js';
import { gradientWgsl } from './gradient.js';
import { lossReduceWgsl } from './loss-reduce.js';
import { rowActivationWgsl } from './row-activation.js';

/**
 * The per-row kernels come twice: for any C, and for C a multiple of 4 (`Aligned`: every row whole
 * vec4s, written as vec4s; see forEachInRow). A workspace runs the pair its C calls for.
 */
export const KERNELS = {
  rowActivation: (shape: KernelShape) => rowActivationWgsl(shape, false),
  rowActivationAligned: (shape: KernelShape) => rowActivationWgsl(shape, true),
  columnStatistics: columnStatisticsWgsl,
  lossReduce: lossReduceWgsl,
  gradient: (shape: KernelShape) => gradientWgsl(shape, false),
  gradientAligned: (shape: KernelShape) => gradientWgsl(shape, true),
} as const satisfies Record<string, (shape: KernelShape) => string>;

export type KernelName = keyof typeof KERNELS;

export {
  ACTIVATION_CODES,
  COLUMN_RECORD_BYTES,
  COLUMN_WIDTH,
  HARDWARE_SHAPE,
  SOFTWARE_SHAPE,
  PARAMS_BYTES,
  ROW_RECORD_BYTES,
  SCALARS_BYTES,
  TERMS_OFFSET_BYTES,
  VECTOR_BINDING_MIN_BYTES,
  type KernelShape,
} from './common.js';
export { DIST_FLAGS } from './loss-reduce.js';

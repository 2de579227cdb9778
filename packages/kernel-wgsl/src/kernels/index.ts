/** The kernels, registered in one place: the host creates one compute pipeline per entry. */
import { columnStatisticsWgsl } from './column-statistics.js';
import type { KernelShape } from './common.js';
import { gradientWgsl } from './gradient.js';
import { lossReduceWgsl } from './loss-reduce.js';
import { rowActivationWgsl } from './row-activation.js';

export const KERNELS = {
  rowActivation: rowActivationWgsl,
  columnStatistics: columnStatisticsWgsl,
  lossReduce: lossReduceWgsl,
  gradient: gradientWgsl,
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

/** The kernels, registered in one place: the host creates one compute pipeline per entry. */
import { COLUMN_PRODUCTS_WGSL } from './column-products.js';
import { COLUMN_SUMS_WGSL } from './column-sums.js';
import { GRADIENT_WGSL } from './gradient.js';
import { LOSS_REDUCE_WGSL } from './loss-reduce.js';
import { ROW_SOFTMAX_WGSL } from './row-softmax.js';

export const KERNELS = {
  rowSoftmax: ROW_SOFTMAX_WGSL,
  columnSums: COLUMN_SUMS_WGSL,
  columnProducts: COLUMN_PRODUCTS_WGSL,
  lossReduce: LOSS_REDUCE_WGSL,
  gradient: GRADIENT_WGSL,
} as const;

export type KernelName = keyof typeof KERNELS;

export {
  COLUMN_RECORD_BYTES,
  COLUMN_STRANDS,
  COLUMN_TILE,
  PARAMS_BYTES,
  ROW_RECORD_BYTES,
  SCALARS_BYTES,
  WORKGROUP_SIZE,
} from './common.js';

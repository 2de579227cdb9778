import { columnKernelWgsl, type KernelShape } from './common.js';

/**
 * First pass of the column (intra-class) correlation: adds the chunk's column sums of w and of the
 * rows' offsets to the running totals. Chunks run one after another, so the totals are
 * deterministic. The last chunk turns them into column means.
 */
export const columnSumsWgsl = (shape: KernelShape): string =>
  columnKernelWgsl(shape, {
    partial: 'vec4f(wStudent[i * C + column], wTeacher[i * C + column], rows[i].offset)',
    update: /* wgsl */ `
    record.meanW = record.meanW + total.xy;
    record.meanOffset = record.meanOffset + total.zw;
    if (params.isLastChunk == 1u) {
      record.meanW = record.meanW * params.invBatch;
      record.meanOffset = record.meanOffset * params.invBatch;
    }`,
  });

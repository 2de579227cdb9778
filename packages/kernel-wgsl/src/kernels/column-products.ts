import { columnKernelWgsl, type KernelShape } from './common.js';

/**
 * Second pass of the column correlation: the centred sums Sxy, Sxx, Syy of each column, from the
 * means column_sums left (two-pass centring), accumulated over chunks like column_sums. The last
 * chunk turns them into the column's correlation and gradient coefficients.
 */
export const columnProductsWgsl = (shape: KernelShape): string =>
  columnKernelWgsl(shape, {
    functions: /* wgsl */ `
fn centredProducts(i: u32, column: u32, means: ColumnRecord) -> vec4f {
  let index = i * params.classes + column;
  let c = columnCentred(vec2f(wStudent[index], wTeacher[index]), rows[i].offset, means);
  return vec4f(c.x * c.y, c.x * c.x, c.y * c.y, 0.0);
}`,
    setup: 'let means = columns[column];',
    partial: 'centredProducts(i, column, means)',
    update: /* wgsl */ `
    record.sxy = record.sxy + total.x;
    record.sxx = record.sxx + total.y;
    record.syy = record.syy + total.z;
    if (params.isLastChunk == 1u) {
      let c = correlate(record.sxy, record.sxx, record.syy);
      record.r = c.r;
      record.invD = c.invD;
      record.k = c.k;
      record.degenerate = c.degenerate;
    }`,
  });

import { commonWgsl, type KernelShape } from './common.js';

/** The bits of the flags value the loss-reduce kernel writes after the terms. */
export const DIST_FLAGS = { nonFinite: 1, degenerate: 2 } as const;

/**
 * One workgroup: adds the chunk's sum of (1 - r_i) over rows (and, for the last chunk, the sum of
 * (1 - r_j) over columns, unless the columns are only a shard's) to the running sums, with the
 * degenerate and non-finite counts.
 * scalars[0..3] = [sum_i (1 - r_i), sum_j (1 - r_j), degenerate count, non-finite count].
 * The last chunk also writes the finished terms, so that a caller that reads nothing back (a tfjs
 * op) still gets the loss on the GPU: scalars[4..7] = [loss, inter, intra, flags], where flags is
 * DIST_FLAGS.nonFinite + DIST_FLAGS.degenerate as raised, and loss, inter and intra are NaN when
 * any flag is: bad input never comes out as a plausible number.
 */
export const lossReduceWgsl = (shape: KernelShape): string => /* wgsl */ `
${commonWgsl(shape)}
@group(0) @binding(1) var<storage, read> rows: array<RowRecord>;
@group(0) @binding(2) var<storage, read> columns: array<ColumnRecord>;
@group(0) @binding(3) var<storage, read_write> scalars: array<f32, 8>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var partial = RunningSum(vec4f(0.0), vec4f(0.0));
  for (var i = lid; i < params.rows; i = i + WG) {
    let record = rows[i];
    partial = accumulate(partial, vec4f(1.0 - record.r, 0.0, record.degenerate, record.nonFinite));
  }
  if (params.isLastChunk == 1u && params.columnTerms == 1u) {
    for (var j = lid; j < params.classes; j = j + WG) {
      let record = columns[j];
      partial = accumulate(partial, vec4f(0.0, 1.0 - record.r, record.degenerate, 0.0));
    }
  }
  let total = workgroupSum(lid, runningTotal(partial));
  if (lid == 0u) {
    let sums = vec4f(scalars[0], scalars[1], scalars[2], scalars[3]) + total;
    scalars[0] = sums.x;
    scalars[1] = sums.y;
    scalars[2] = sums.z;
    scalars[3] = sums.w;
    if (params.isLastChunk == 1u) {
      var flags = 0.0;
      if (sums.w > 0.0) {
        flags = flags + ${DIST_FLAGS.nonFinite}.0;
      }
      if (sums.z > 0.0) {
        flags = flags + ${DIST_FLAGS.degenerate}.0;
      }
      var inter = sums.x * params.invBatch;
      var intra = sums.y / f32(params.classes);
      var loss = params.interWeight * inter + params.intraWeight * intra;
      if (flags > 0.0) {
        let nan = bitcast<f32>(params.nanBits);
        loss = nan;
        inter = nan;
        intra = nan;
      }
      scalars[4] = loss;
      scalars[5] = inter;
      scalars[6] = intra;
      scalars[7] = flags;
    }
  }
}
`;

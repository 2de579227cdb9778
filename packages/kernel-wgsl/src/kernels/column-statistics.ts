import { commonWgsl, type KernelShape } from './common.js';

/**
 * The column (intra-class) statistics in one sweep over a chunk's rows: per column the mean of p
 * and q and the centred sums Sxy, Sxx, Syy, merged into the running statistics of the chunks before
 * (chunks run one after another, so the result is deterministic). The last chunk turns them into
 * the column's correlation and gradient coefficients.
 *
 * The mean is not known until every row has been seen, so each value is shifted by one of the
 * column's own values K, its value in the batch's first row ("shifted data"): the stored mean is
 * that of p - K, whose magnitude is of the column's spread, not of p, so it keeps the small digits
 * of a near-uniform column. p - K = (w - K_w) + (offset - K_offset) (see RowRecord) keeps each part's
 * digits, as the gradient's centring does.
 *
 * A whole column's shifted sum of squares, sum (p - K)^2 - n mean(p - K)^2, cancels by a factor of
 * up to n in float32 when K is far out in the column (one confident row of a column of small
 * probabilities). So each strand sums blocks of BLOCK_ROWS rows shifted by the block's first value,
 * which bounds that factor by BLOCK_ROWS, and merges the blocks, the strands and the chunks with
 * Chan et al.'s exact update: for parts a, b of n = n_a + n_b rows with mean difference delta,
 * S = S_a + S_b + delta^2 n_a n_b / n, with no cancellation (every term is >= 0), and the co-moment
 * alike with delta_x delta_y.
 *
 * Each workgroup owns COLUMN_TILE adjacent columns (adjacent invocations read adjacent addresses)
 * and COLUMN_STRANDS strands of rows, merged in a fixed order.
 */
export const columnStatisticsWgsl = (shape: KernelShape): string => /* wgsl */ `
${commonWgsl(shape)}
@group(0) @binding(1) var<storage, read> wStudent: array<f32>;
@group(0) @binding(2) var<storage, read> wTeacher: array<f32>;
@group(0) @binding(3) var<storage, read> rows: array<RowRecord>;
@group(0) @binding(4) var<storage, read_write> columns: array<ColumnRecord>;
// Per column, between chunks: the mean of p - K over the rows of the chunks so far (the last chunk
// folds it into the record's meanW).
@group(0) @binding(5) var<storage, read_write> shiftedMeans: array<vec2f>;

// Rows per block: a block's sums cancel by at most this factor (see above), and each block costs
// one merge, a few divisions.
const BLOCK_ROWS: u32 = 8u;

// (student, teacher) statistics of some rows of one column, about the column's shift K.
struct Moments {
  count: f32,
  mean: vec2f,       // mean of p - K
  squares: vec2f,    // centred sums of squares (Sxx, Syy)
  coMoment: f32,     // Sxy
}

// Chan et al.'s merge of two disjoint sets of rows (either may be empty).
fn merged(a: Moments, b: Moments) -> Moments {
  let count = a.count + b.count;
  let share = select(0.0, b.count / count, count > 0.0);
  let delta = b.mean - a.mean;
  let cross = a.count * share;   // n_a n_b / n
  return Moments(
    count,
    a.mean + delta * share,
    a.squares + b.squares + delta * delta * cross,
    a.coMoment + b.coMoment + delta.x * delta.y * cross,
  );
}

// One strand's blocks merged so far, with compensated sums: a strand may have a million rows.
struct Strand {
  count: f32,
  total: RunningSum,   // xy: sum of p - K
  sums: RunningSum,    // (Sxx, Syy, Sxy, 0)
}

// Merges a block of count rows into the strand: first is its first value of p - K, sums and
// products (d_x d_y, d_x^2, d_y^2) the sums over the block of d = (p - K) - first.
fn withBlock(strand: Strand, count: f32, first: vec2f, sums: vec2f, products: vec3f) -> Strand {
  let blockMean = first + sums / count;
  let before = select(blockMean, runningTotal(strand.total).xy / strand.count, strand.count > 0.0);
  let delta = blockMean - before;
  let cross = strand.count * count / (strand.count + count);
  let squares = products.yz - sums * sums / count + delta * delta * cross;
  let coMoment = products.x - sums.x * sums.y / count + delta.x * delta.y * cross;
  return Strand(
    strand.count + count,
    accumulate(strand.total, vec4f(sums + count * first, 0.0, 0.0)),
    accumulate(strand.sums, vec4f(squares, coMoment, 0.0)),
  );
}

fn strandMoments(strand: Strand) -> Moments {
  let sums = runningTotal(strand.sums);
  let mean = select(vec2f(0.0), runningTotal(strand.total).xy / strand.count, strand.count > 0.0);
  return Moments(strand.count, mean, sums.xy, sums.z);
}

// The column's shift, as its two parts (RowRecord's w and offset).
struct Shift {
  w: vec2f,
  offset: vec2f,
}

fn shifted(i: u32, column: u32, shift: Shift) -> vec2f {
  let index = i * params.classes + column;
  return (vec2f(wStudent[index], wTeacher[index]) - shift.w) + (rows[i].offset - shift.offset);
}

var<workgroup> strandSquares: array<vec4f, WG>;

// The COLUMN_STRANDS strands' moments of one column, merged in a fixed order (valid in the first
// COLUMN_TILE invocations). Every invocation must call it.
fn mergedStrands(lid: u32, own: Moments) -> Moments {
  scratch[lid] = vec4f(own.count, own.mean, own.coMoment);
  strandSquares[lid] = vec4f(own.squares, 0.0, 0.0);
  workgroupBarrier();
  var total = Moments(0.0, vec2f(0.0), vec2f(0.0), 0.0);
  if (lid < COLUMN_TILE) {
    for (var s = 0u; s < COLUMN_STRANDS; s = s + 1u) {
      let at = s * COLUMN_TILE + lid;
      total = merged(total, Moments(scratch[at].x, scratch[at].yz, strandSquares[at].xy, scratch[at].w));
    }
  }
  return total;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let column = columnOf(wid, lid);
  let firstChunk = params.rowStart == 0u;
  var shift = Shift(vec2f(0.0), vec2f(0.0));
  var strand = Strand(0.0, RunningSum(vec4f(0.0), vec4f(0.0)), RunningSum(vec4f(0.0), vec4f(0.0)));
  if (column < params.classes) {
    // The first chunk takes its first row's values as K; later chunks find K in the record.
    if (firstChunk) {
      shift = Shift(vec2f(wStudent[column], wTeacher[column]), rows[0].offset);
    } else {
      shift = Shift(columns[column].meanW, columns[column].meanOffset);
    }
    var i = lid / COLUMN_TILE;
    while (i < params.rows) {
      let first = shifted(i, column, shift);
      var sums = vec2f(0.0);
      var products = vec3f(0.0);
      var count = 1.0;
      i = i + COLUMN_STRANDS;
      for (var b = 1u; b < BLOCK_ROWS && i < params.rows; b = b + 1u) {
        let d = shifted(i, column, shift) - first;
        sums = sums + d;
        products = products + vec3f(d.x * d.y, d.x * d.x, d.y * d.y);
        count = count + 1.0;
        i = i + COLUMN_STRANDS;
      }
      strand = withBlock(strand, count, first, sums, products);
    }
  }
  let chunk = mergedStrands(lid, strandMoments(strand));
  if (lid < COLUMN_TILE && column < params.classes) {
    var record: ColumnRecord;
    var before = Moments(0.0, vec2f(0.0), vec2f(0.0), 0.0);
    if (!firstChunk) {
      record = columns[column];
      before = Moments(f32(params.rowStart), shiftedMeans[column], vec2f(record.sxx, record.syy), record.sxy);
    }
    let all = merged(before, chunk);
    record.meanW = shift.w;
    record.meanOffset = shift.offset;
    record.sxy = all.coMoment;
    record.sxx = max(all.squares.x, 0.0);
    record.syy = max(all.squares.y, 0.0);
    shiftedMeans[column] = all.mean;
    if (params.isLastChunk == 1u) {
      // The column mean of p as meanW + meanOffset, K's offset part kept whole (see ColumnRecord).
      record.meanW = shift.w + all.mean;
      let c = correlate(record.sxy, record.sxx, record.syy);
      record.r = c.r;
      record.invD = c.invD;
      record.k = c.k;
      record.degenerate = c.degenerate;
    }
    columns[column] = record;
  }
}
`;

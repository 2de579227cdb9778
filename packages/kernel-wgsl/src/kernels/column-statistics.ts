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
 * Each invocation walks COLUMN_WIDTH (4) adjacent columns at once, every value a lane of a vec4:
 * on CPU emulations every load is a bounds-checked gather, and one vec4 load brings the four
 * columns' values of a row (when C is a multiple of 4, so that rows start on 16-byte words; else
 * four loads). Each lane does what one column's invocation did, so each column's sums are the same.
 * A workgroup owns COLUMN_TILE such invocations side by side (adjacent invocations read adjacent
 * addresses) and COLUMN_STRANDS strands of rows, merged in a fixed order.
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
// w again, as vec4s.
@group(0) @binding(6) var<storage, read> wStudentVectors: array<vec4f>;
@group(0) @binding(7) var<storage, read> wTeacherVectors: array<vec4f>;

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

// The student's and the teacher's values of the invocation's four columns in one row.
struct Quad {
  s: vec4f,
  t: vec4f,
}

// One strand's blocks merged so far, per column (a vec4 lane each), with compensated sums: a
// strand may have a million rows.
struct Strand {
  count: f32,
  totalS: RunningSum,   // sum of p - K
  totalT: RunningSum,
  sxx: RunningSum,
  syy: RunningSum,
  sxy: RunningSum,
}

// Merges a block of count rows into the strand: first is its first value of p - K, sums and the
// products xy, xx, yy the sums over the block of d = (p - K) - first and of d_s d_t, d_s^2, d_t^2.
fn withBlock(strand: Strand, count: f32, first: Quad, sums: Quad, xy: vec4f, xx: vec4f, yy: vec4f) -> Strand {
  let blockS = first.s + sums.s / count;
  let blockT = first.t + sums.t / count;
  let beforeS = select(blockS, runningTotal(strand.totalS) / strand.count, strand.count > 0.0);
  let beforeT = select(blockT, runningTotal(strand.totalT) / strand.count, strand.count > 0.0);
  let deltaS = blockS - beforeS;
  let deltaT = blockT - beforeT;
  let cross = strand.count * count / (strand.count + count);
  return Strand(
    strand.count + count,
    accumulate(strand.totalS, sums.s + count * first.s),
    accumulate(strand.totalT, sums.t + count * first.t),
    accumulate(strand.sxx, xx - sums.s * sums.s / count + deltaS * deltaS * cross),
    accumulate(strand.syy, yy - sums.t * sums.t / count + deltaT * deltaT * cross),
    accumulate(strand.sxy, xy - sums.s * sums.t / count + deltaS * deltaT * cross),
  );
}

// Column k's (a lane's) moments of the strand.
fn strandMoments(strand: Strand, k: u32) -> Moments {
  if (strand.count == 0.0) {
    return Moments(0.0, vec2f(0.0), vec2f(0.0), 0.0);
  }
  let mean = vec2f(runningTotal(strand.totalS)[k], runningTotal(strand.totalT)[k]) / strand.count;
  return Moments(strand.count, mean, vec2f(runningTotal(strand.sxx)[k], runningTotal(strand.syy)[k]), runningTotal(strand.sxy)[k]);
}

// The four columns' shifts, as their two parts (RowRecord's w and offset).
struct Shift {
  w: Quad,
  offset: Quad,
}

// Row i's values at columns first .. first + 3 (0 past the last column).
fn rowQuad(i: u32, first: u32) -> Quad {
  let index = i * params.classes + first;
  if (params.classes % 4u == 0u) {
    return Quad(wStudentVectors[index / 4u], wTeacherVectors[index / 4u]);
  }
  var quad = Quad(vec4f(0.0), vec4f(0.0));
  for (var k = 0u; k < 4u; k = k + 1u) {
    if (first + k < params.classes) {
      quad.s[k] = wStudent[index + k];
      quad.t[k] = wTeacher[index + k];
    }
  }
  return quad;
}

fn shifted(i: u32, first: u32, shift: Shift) -> Quad {
  let w = rowQuad(i, first);
  let offset = rows[i].offset;
  return Quad((w.s - shift.w.s) + (offset.x - shift.offset.s), (w.t - shift.w.t) + (offset.y - shift.offset.t));
}

var<workgroup> strandSquares: array<vec4f, WG>;

// The COLUMN_STRANDS strands' moments of one column, merged in a fixed order (valid in the first
// COLUMN_TILE invocations). Every invocation must call it.
fn mergedStrands(lid: u32, own: Moments) -> Moments {
  if (COLUMN_STRANDS == 1u) {
    return own;
  }
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
  // The next column's strands overwrite the scratch.
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let first = columnOf(wid, lid);
  let firstChunk = params.rowStart == 0u;
  let zero = Quad(vec4f(0.0), vec4f(0.0));
  var shift = Shift(zero, zero);
  let none = RunningSum(vec4f(0.0), vec4f(0.0));
  var strand = Strand(0.0, none, none, none, none, none);
  if (first < params.classes) {
    // The first chunk takes its first row's values as K; later chunks find K in the records.
    if (firstChunk) {
      let offset = rows[0].offset;
      shift = Shift(rowQuad(0u, first), Quad(vec4f(offset.x), vec4f(offset.y)));
    } else {
      for (var k = 0u; k < 4u; k = k + 1u) {
        if (first + k < params.classes) {
          let record = columns[first + k];
          shift.w.s[k] = record.meanW.x;
          shift.w.t[k] = record.meanW.y;
          shift.offset.s[k] = record.meanOffset.x;
          shift.offset.t[k] = record.meanOffset.y;
        }
      }
    }
    var i = lid / COLUMN_TILE;
    while (i < params.rows) {
      let start = shifted(i, first, shift);
      var sums = zero;
      var xy = vec4f(0.0);
      var xx = vec4f(0.0);
      var yy = vec4f(0.0);
      var count = 1.0;
      i = i + COLUMN_STRANDS;
      for (var b = 1u; b < BLOCK_ROWS && i < params.rows; b = b + 1u) {
        let value = shifted(i, first, shift);
        let ds = value.s - start.s;
        let dt = value.t - start.t;
        sums = Quad(sums.s + ds, sums.t + dt);
        xy = xy + ds * dt;
        xx = xx + ds * ds;
        yy = yy + dt * dt;
        count = count + 1.0;
        i = i + COLUMN_STRANDS;
      }
      strand = withBlock(strand, count, start, sums, xy, xx, yy);
    }
  }
  for (var k = 0u; k < 4u; k = k + 1u) {
    let column = first + k;
    let chunk = mergedStrands(lid, strandMoments(strand, k));
    if (lid < COLUMN_TILE && column < params.classes) {
      var record: ColumnRecord;
      var before = Moments(0.0, vec2f(0.0), vec2f(0.0), 0.0);
      if (!firstChunk) {
        record = columns[column];
        before = Moments(f32(params.rowStart), shiftedMeans[column], vec2f(record.sxx, record.syy), record.sxy);
      }
      let all = merged(before, chunk);
      let w = vec2f(shift.w.s[k], shift.w.t[k]);
      record.meanW = w;
      record.meanOffset = vec2f(shift.offset.s[k], shift.offset.t[k]);
      record.sxy = all.coMoment;
      record.sxx = max(all.squares.x, 0.0);
      record.syy = max(all.squares.y, 0.0);
      shiftedMeans[column] = all.mean;
      if (params.isLastChunk == 1u) {
        // The column mean of p as meanW + meanOffset, K's offset part kept whole (see ColumnRecord).
        record.meanW = w + all.mean;
        let c = correlate(record.sxy, record.sxx, record.syy);
        record.r = c.r;
        record.invD = c.invD;
        record.k = c.k;
        record.degenerate = c.degenerate;
      }
      columns[column] = record;
    }
  }
}
`;

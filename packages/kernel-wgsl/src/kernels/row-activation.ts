import { commonWgsl, forEachInRow, type KernelShape, type RowLoad, type RowStore } from './common.js';

const LOGITS: readonly RowLoad[] = [
  { name: 's', scalars: 'student', vectors: 'studentVectors' },
  { name: 't', scalars: 'teacher', vectors: 'teacherVectors' },
];
const W: readonly RowStore[] = [
  { name: 'wS', target: 'wStudent' },
  { name: 'wT', target: 'wTeacher' },
];
// v, parked in the w buffers by pass 2 for pass 3: as vec4s where w is bound as vec4s.
const parkedV = (alignedRows: boolean): RowLoad[] =>
  W.map(({ target }, k) => ({ name: k === 0 ? 'vS' : 'vT', scalars: target, ...(alignedRows ? { vectors: target } : {}) }));

/**
 * ROW_LANES invocations per row of a chunk. Computes both softmax rows' centred probabilities
 * delta = p - 1/C without ever forming p - mean(p) (SPEC.md: near-uniform rows would lose every
 * digit), the row's correlation sums and coefficients, and the values w the column-statistics and gradient kernels use.
 *
 * With y_j = (x_j - max) / tau and e_j = exp(y_j), S = sum e: p_j - 1/C = (e_j - mean(e)) / S.
 * The kernel centres v_j = e_j - c in two passes (the mean, then the centred sums corrected by the
 * residual mean), where c = 1 and v_j = expm1(y_j) when every y_j is near 0 (a near-uniform row,
 * whose deviations would round away in e_j itself), and c = 0, v_j = e_j otherwise (a peaked row,
 * whose tiny tail probabilities keep their relative precision that way).
 *
 * Sigmoid rows (SPEC "Activation": p_j = sigmoid(x_j / tau), elementwise) take the same passes with
 * S = 1 and v_j = w_j = p_j - offset, where offset = 1/2 and w_j = tanh(z_j / 2) / 2 (from expm1)
 * when every |z_j| is small (values near 1/2, whose deviations p_j - 1/2 would round away), offset = 1
 * and w_j = -sigmoid(-z_j) when every z_j is positive (values towards 1 keep the digits of 1 - p),
 * offset = 0 and w_j = sigmoid(z_j) otherwise (tiny values keep their relative precision). The row
 * is centred by its mean, which, unlike a softmax row's 1/C, is not known in advance.
 *
 * With \`alignedRows\` (C a multiple of 4, see forEachInRow) the logits are bound as vec4s only and
 * w is written as vec4s; otherwise the logits are bound both ways and w is written value by value.
 */
export const rowActivationWgsl = (shape: KernelShape, alignedRows: boolean): string => /* wgsl */ `
${commonWgsl(shape)}
${
  alignedRows
    ? /* wgsl */ `@group(0) @binding(1) var<storage, read> studentVectors: array<vec4f>;
@group(0) @binding(2) var<storage, read> teacherVectors: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> wStudent: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> wTeacher: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> rows: array<RowRecord>;`
    : /* wgsl */ `@group(0) @binding(1) var<storage, read> student: array<f32>;
@group(0) @binding(2) var<storage, read> teacher: array<f32>;
@group(0) @binding(3) var<storage, read_write> wStudent: array<f32>;
@group(0) @binding(4) var<storage, read_write> wTeacher: array<f32>;
@group(0) @binding(5) var<storage, read_write> rows: array<RowRecord>;
// The logits again, as vec4s (forEachInRow).
@group(0) @binding(6) var<storage, read> studentVectors: array<vec4f>;
@group(0) @binding(7) var<storage, read> teacherVectors: array<vec4f>;`
}

// Below this y the row counts as peaked and uses e_j itself; above it, expm1 keeps the digits.
const NEAR_UNIFORM_Y: f32 = -0.5;

// Below this largest |z| = |x| / tau of a sigmoid row, every value is near 1/2 and is kept as p - 1/2.
const NEAR_HALF_Z: f32 = 0.5;

// exp(y) - 1 for |y| <= 0.5: Taylor terms through y^9 (error below 3e-10 relative). Below -0.5,
// exp(y) - 1 no longer cancels and is used as it is.
fn expm1Small(y: f32) -> f32 {
  return y * (1.0 + y * (0.5 + y * (1.0 / 6.0 + y * (1.0 / 24.0 + y * (1.0 / 120.0 + y * (1.0 / 720.0
    + y * (1.0 / 5040.0 + y * (1.0 / 40320.0 + y * (1.0 / 362880.0)))))))));
}

fn isNonFinite(x: f32) -> bool {
  // A bit test: WGSL lets compilers assume no NaN or infinity, so x != x may be folded away.
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

// v_j for one value, given e = exp(y): expm1(y) for a near-uniform row, e for a peaked one.
fn centringValue(y: f32, e: f32, nearUniform: bool) -> f32 {
  if (!nearUniform) {
    return e;
  }
  if (y > NEAR_UNIFORM_Y) {
    return expm1Small(y);
  }
  return e - 1.0;
}

// w = p - offset for one sigmoid value z (offset 1/2, 1 or 0, see above): tanh(z / 2) / 2 =
// m / (2 (m + 2)) with m = expm1(z), -sigmoid(-z), or sigmoid(z), with |z| capped where exp would
// overflow (p is then 1, or below 1e-37).
fn sigmoidValue(z: f32, offset: f32) -> f32 {
  if (offset == 0.5) {
    let m = expm1Small(z);
    return 0.5 * m / (m + 2.0);
  }
  let capped = clamp(z, -87.0, 87.0);
  if (offset == 1.0) {
    return -1.0 / (1.0 + exp(capped));
  }
  return 1.0 / (1.0 + exp(-capped));
}

fn softmaxValue(y: vec2f, e: vec2f, nearUniform: vec2<bool>) -> vec2f {
  return vec2f(centringValue(y.x, e.x, nearUniform.x), centringValue(y.y, e.y, nearUniform.y));
}

fn sigmoidValues(z: vec2f, offset: vec2f) -> vec2f {
  return vec2f(sigmoidValue(z.x, offset.x), sigmoidValue(z.y, offset.y));
}

// What pass 3 needs of passes 1 and 2.
struct RowShares {
  pivot: vec2f,
  invS: vec2f,       // 1 / S: a multiplication per element, where a division costs several on CPU emulations
  nearUniform: vec2<bool>,
  sigmoidRows: bool,
}

// Five sums in a vec4 and a scalar rather than in two vec4s: an unused component would cost a
// compensated addition per element all the same.
struct CentredSums {
  products: RunningSum,           // (sum d_x d_y, sum d_x^2, sum d_y^2, sum d_x)
  teacherMoment: RunningScalar,   // sum d_y
}

// Pass 3's values of one element of value v (see there): d, and w (see RowRecord).
struct Centred {
  d: vec2f,
  w: vec2f,
}

fn centredOf(v: vec2f, row: RowShares) -> Centred {
  let d = (v - row.pivot) * row.invS;
  return Centred(d, select(select(v * row.invS, d, row.nearUniform), v, row.sigmoidRows));
}

// Adds d's sums.
fn withCentred(sums: CentredSums, d: vec2f) -> CentredSums {
  return CentredSums(
    accumulate(sums.products, vec4f(d.x * d.y, d.x * d.x, d.y * d.y, d.x)),
    accumulateScalar(sums.teacherMoment, d.y),
  );
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let slot = rowSlot(wid, lid);
  let C = params.classes;
  let tau = params.tau;
  // The per-element divisions by tau as multiplications (a division costs several on CPU emulations).
  let invTau = 1.0 / tau;

  // Pass 1: max and min of both rows (min as max of -x), and any logit that is not finite or
  // overflows once divided by tau (core's logitLimit: hosts that defer their value check rely on it).
  var extremes = vec4f(-3.0e38);
  var nonFinite = 0.0;
  ${forEachInRow('slot.inRange', LOGITS, /* wgsl */ `
    if (isNonFinite(s * invTau) || isNonFinite(t * invTau)) {
      nonFinite = 1.0;
    } else {
      extremes = max(extremes, vec4f(s, t, -s, -t));
    }`, alignedRows)}
  let found = rowMax(lid, extremes);
  let flagged = rowMax(lid, vec4f(nonFinite, 0.0, 0.0, 0.0)).x;
  let maxS = found.x;
  let maxT = found.y;
  let nearUniformS = (-found.z - maxS) / tau > NEAR_UNIFORM_Y;
  let nearUniformT = (-found.w - maxT) / tau > NEAR_UNIFORM_Y;
  let nearUniform = vec2<bool>(nearUniformS, nearUniformT);
  let sigmoidRows = params.activation == SIGMOID;
  // The sigmoid rows' offsets: 1/2 when every |z| is small, 1 when every z is positive (the
  // smallest x, -found.zw, above 0), else 0.
  let sigmoidOffset = select(
    select(vec2f(0.0), vec2f(1.0), -found.zw > vec2f(0.0)),
    vec2f(0.5),
    max(found.xy, found.zw) / tau < vec2f(NEAR_HALF_Z),
  );

  // Pass 2: S = sum e (softmax), and the sum of v for the pivot; v is parked in the w buffers for
  // pass 3 (on lavapipe at 128x32000 a store and a load cost less than computing v again; at
  // 1024x1000 the same).
  // One loop per activation, the activation in the loop's condition: CPU emulations run both sides
  // of a branch inside a loop, but skip a loop that no invocation enters.
  // S is not summed apart: v = e in a peaked row, v = e - 1 in a near-uniform one, so S = sum v + C
  // there (C is exact, and sum v is small next to it). On CPU emulations each vector component of
  // a compensated sum costs as much as a whole scalar one.
  var sums = RunningPair(vec2f(0.0), vec2f(0.0));
  ${forEachInRow('!sigmoidRows && slot.inRange', LOGITS, /* wgsl */ `
    let y = (vec2f(s, t) - vec2f(maxS, maxT)) * invTau;
    let v = softmaxValue(y, exp(y), nearUniform);
    sums = accumulatePair(sums, v);
    let wS = v.x;
    let wT = v.y;`, alignedRows, W)}
  ${forEachInRow('sigmoidRows && slot.inRange', LOGITS, /* wgsl */ `
    let v = sigmoidValues(vec2f(s, t) * invTau, sigmoidOffset);
    sums = accumulatePair(sums, v);
    let wS = v.x;
    let wT = v.y;`, alignedRows, W)}
  let sumV = rowSum(lid, vec4f(sums.sum - sums.carry, 0.0, 0.0)).xy;
  let S = select(sumV + select(vec2f(0.0), vec2f(f32(C)), nearUniform), vec2f(1.0), sigmoidRows);
  let pivot = sumV / f32(C);

  // Pass 3: d = (v - pivot) / S, centred up to a small residual r = mean(d); the row's sums as
  // the corrected two-pass formulas sum(d_x d_y) - C r_x r_y (no cancellation: r is tiny next to d).
  // The column-statistics and gradient kernels get w (see RowRecord): d in a near-uniform row, whose offset 1/C - r then
  // makes w + offset = p exactly as computed, and p = e / S in a peaked one; a sigmoid row keeps v.
  var centred = CentredSums(RunningSum(vec4f(0.0), vec4f(0.0)), RunningScalar(0.0, 0.0));
  let shares = RowShares(pivot, 1.0 / S, nearUniform, sigmoidRows);
  ${forEachInRow('slot.inRange', parkedV(alignedRows), /* wgsl */ `
    let values = centredOf(vec2f(vS, vT), shares);
    centred = withCentred(centred, values.d);
    let wS = values.w.x;
    let wT = values.w.y;`, alignedRows, W)}
  let rowSums = rowSum(lid, runningTotal(centred.products));
  let teacherMoment = rowSum(lid, vec4f(centred.teacherMoment.sum - centred.teacherMoment.carry, 0.0, 0.0, 0.0)).x;
  let residual = vec2f(rowSums.w, teacherMoment) / f32(C);

  if (slot.inRange && slot.lane == 0u) {
    let n = f32(C);
    let sxy = rowSums.x - n * residual.x * residual.y;
    let sxx = max(rowSums.y - n * residual.x * residual.x, 0.0);
    let syy = max(rowSums.z - n * residual.y * residual.y, 0.0);
    let c = correlate(sxy, sxx, syy);
    var offset: vec2f;
    var centre: vec2f;
    if (sigmoidRows) {
      offset = sigmoidOffset;
      centre = pivot + residual;
    } else {
      offset = select(vec2f(0.0), vec2f(1.0 / n) - residual, nearUniform);
      // p - 1/C = w + offset - 1/C: the tiny residual for a near-uniform row, w - 1/C for a peaked one.
      centre = vec2f(1.0 / n) - offset;
    }
    rows[slot.row] = RowRecord(c.r, c.invD, c.k, c.degenerate, flagged, 0.0, 0.0, 0.0, offset, centre);
  }
}
`;

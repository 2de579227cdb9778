/**
 * WGSL shared by every kernel: the per-chunk parameters, the per-row and per-column records the
 * kernels hand each other through storage buffers, the workgroup tree reductions and the
 * correlation's coefficients. Each kernel file prepends this to its own entry point.
 */

/**
 * The kernels' workgroup geometry, fixed when the pipelines are created. Hardware GPUs want many
 * invocations per row; CPU emulations (SwiftShader, lavapipe) pay dearly for barriers and run
 * fastest with one invocation per row (measured with scripts/measure.mjs).
 */
export interface KernelShape {
  /** Invocations per workgroup, a power of two, at most the device's limit (256 by default). */
  readonly workgroupSize: number;
  /**
   * Invocations that share one row in the per-row kernels (a power of two dividing workgroupSize).
   * 1 means one invocation walks a whole row, with no barriers: best on CPU emulations.
   */
  readonly rowLanes: number;
  /**
   * Invocations side by side in a workgroup of the column-statistics kernel, each walking
   * COLUMN_WIDTH adjacent columns; workgroupSize / columnTile row strands each.
   */
  readonly columnTile: number;
}

/** Adjacent columns one column-statistics invocation walks, as the lanes of a vec4. */
export const COLUMN_WIDTH = 4;

export const HARDWARE_SHAPE: KernelShape = { workgroupSize: 256, rowLanes: 256, columnTile: 8 };
export const SOFTWARE_SHAPE: KernelShape = { workgroupSize: 64, rowLanes: 1, columnTile: 64 };

/** params.activation's values. */
export const ACTIVATION_CODES = { softmax: 0, sigmoid: 1 } as const;

/** Byte sizes of the records below, for the host's buffer sizes. */
export const PARAMS_BYTES = 80;
export const ROW_RECORD_BYTES = 48;
export const COLUMN_RECORD_BYTES = 48;
/** The loss-reduce output: four running sums, then the finished terms (see loss-reduce.ts). */
export const SCALARS_BYTES = 32;
/** Where the finished [loss, inter, intra, flags] start in the scalars buffer. */
export const TERMS_OFFSET_BYTES = 16;

export const commonWgsl = ({ workgroupSize, rowLanes, columnTile }: KernelShape): string => /* wgsl */ `
const WG: u32 = ${workgroupSize}u;
const ROW_LANES: u32 = ${rowLanes}u;
const ROWS_PER_GROUP: u32 = ${workgroupSize / rowLanes}u;
const COLUMN_TILE: u32 = ${columnTile}u;
const COLUMN_STRANDS: u32 = ${workgroupSize / columnTile}u;

// One chunk of rows (inputs larger than a storage binding are split by rows).
struct Params {
  classes: u32,
  rows: u32,         // rows in this chunk
  batch: u32,        // rows in the whole input
  isLastChunk: u32,
  rowGridX: u32,     // workgroups along x when rows are laid out on a 2-D grid
  columnGridX: u32,
  nanBits: u32,      // a quiet NaN's bits from the host: WGSL has no NaN literal, and rejects one made of constants
  columnTerms: u32,  // 1: the columns are the whole batch's, and loss-reduce adds their terms; 0: a shard's (see shards.ts)
  tau: f32,
  eps: f32,          // added to a*b
  epsInside: f32,    // added inside the square roots (design-note mode) or 0 (official mode)
  invBatch: f32,
  rowWeight: f32,    // beta * tau^2 / B
  columnWeight: f32, // gamma * tau^2 / C
  interWeight: f32,  // beta * tau^2, for the loss itself
  intraWeight: f32,  // gamma * tau^2
  activation: u32,   // SOFTMAX or SIGMOID
  rowStart: u32,     // rows of the whole input before this chunk
  opaqueZero: u32,   // always 0, from the host: see opaque()
  pad2: u32,
}

const SOFTMAX: u32 = ${ACTIVATION_CODES.softmax}u;
const SIGMOID: u32 = ${ACTIVATION_CODES.sigmoid}u;

@group(0) @binding(0) var<uniform> params: Params;

// Per row of a chunk, written by row-activation.
struct RowRecord {
  r: f32,            // corr(p_i, q_i)
  invD: f32,         // 1 / D
  k: f32,            // r * (b / a) / D
  degenerate: f32,   // 1 when D == 0 (eps = 0 and a flat vector)
  nonFinite: f32,    // 1 when a logit is NaN, infinite or overflows once divided by tau (hosts may skip validating values)
  pad0: f32,
  pad1: f32,
  pad2: f32,
  // (student, teacher): the row's stored values are w = p - offset, where offset is about 1/C for
  // a near-uniform softmax row (w is then the centred p, with its small digits), 1/2 for a sigmoid
  // row whose values are all near 1/2 (w = p - 1/2, from tanh), 1 for one whose values are all above
  // 1/2 (w = -(1 - p)), and 0 otherwise (w is p itself, whose tiny values the column correlations need).
  offset: vec2f,
  // The row's mean of w: w - centre is p - mean(p) over the row.
  centre: vec2f,
}

// Per column, accumulated over chunks by column_statistics.
struct ColumnRecord {
  // (student, teacher): the column mean of p is meanW + meanOffset, split so that the gradient's
  // centred (w - meanW) + (offset - meanOffset) keeps each part's digits. column_statistics keeps
  // the offset of the batch's first row (the column's shift K) as meanOffset, and K's w part as
  // meanW until the last chunk adds the rest of the mean; records from the host (shards.ts) split
  // the mean by its range.
  meanW: vec2f,
  meanOffset: vec2f,
  // What the gradient reads next to the mean, so that it loads a column as two vec4s (gradient.ts).
  invD: f32,
  k: f32,
  r: f32,
  degenerate: f32,
  sxy: f32,
  sxx: f32,
  syy: f32,
  pad: f32,
}

struct Coefficients {
  r: f32,
  invD: f32,
  k: f32,
  degenerate: f32,
}

// corr = Sxy / (a*b + eps), and what its gradient yc/D - r*(b/a)*xc/D needs. When a = 0 every
// centred x is 0 and the second term's limit is 0.
fn correlate(sxy: f32, sxx: f32, syy: f32) -> Coefficients {
  let a = sqrt(sxx + params.epsInside);
  let b = sqrt(syy + params.epsInside);
  let D = a * b + params.eps;
  if (D == 0.0) {
    return Coefficients(0.0, 0.0, 0.0, 1.0);
  }
  let r = sxy / D;
  var ratio = 0.0;
  if (a > 0.0) {
    ratio = b / a;
  }
  return Coefficients(r, 1.0 / D, r * ratio / D, 0.0);
}

// A compensated (Kahan) running sum. An invocation's loop adds up to a whole row's C values (one
// invocation per row in SOFTWARE_SHAPE) or a strand's rows one after another: a plain float32 sum's
// rounding error grows with the count (5e-4 of max|g| at C = 10^6, issue #14), a compensated one's
// stays at a few ulps. No multiplications, so contraction into FMA cannot reorder it either.
struct RunningSum {
  sum: vec4f,
  carry: vec4f,      // minus the low-order part the last addition lost
}

fn accumulate(running: RunningSum, value: vec4f) -> RunningSum {
  let corrected = value - running.carry;
  let sum = opaque(running.sum + corrected);
  return RunningSum(sum, (sum - running.sum) - corrected);
}

// x itself, in a form no compiler can see through: WGSL lets a compiler treat float arithmetic as
// associative, and lavapipe (Mesa's NIR) then simplifies (a + b) - a to b, which zeroes every carry
// and leaves plain float32 sums (without this, test/wide-precision.test.ts of backend-webgpu fails on
// lavapipe with the plain sums' errors). An OR with a uniform that only the host knows is 0 keeps
// the sum an opaque value.
fn opaque(x: vec4f) -> vec4f {
  return bitcast<vec4f>(bitcast<vec4u>(x) | vec4u(params.opaqueZero));
}

fn runningTotal(running: RunningSum) -> vec4f {
  return running.sum - running.carry;
}

// The same for two values and for one (WGSL has no generic functions).
struct RunningPair {
  sum: vec2f,
  carry: vec2f,
}

fn accumulatePair(running: RunningPair, value: vec2f) -> RunningPair {
  let corrected = value - running.carry;
  let sum = bitcast<vec2f>(bitcast<vec2u>(running.sum + corrected) | vec2u(params.opaqueZero));
  return RunningPair(sum, (sum - running.sum) - corrected);
}

struct RunningScalar {
  sum: f32,
  carry: f32,
}

fn accumulateScalar(running: RunningScalar, value: f32) -> RunningScalar {
  let corrected = value - running.carry;
  let sum = bitcast<f32>(bitcast<u32>(running.sum + corrected) | params.opaqueZero);
  return RunningScalar(sum, (sum - running.sum) - corrected);
}

var<workgroup> scratch: array<vec4f, WG>;

${reduction('workgroupSum', 'a + b', workgroupSize)}
${reduction('rowSum', 'a + b', rowLanes)}
${reduction('rowMax', 'max(a, b)', rowLanes)}

fn linearGroup(wid: vec3u, gridX: u32) -> u32 {
  return wid.x + wid.y * gridX;
}

// Where an invocation works in the per-row kernels: ROW_LANES invocations share a row. The
// barriers inside the reductions need every invocation, so those past the last row stay, out of
// range, instead of returning.
struct RowSlot {
  row: u32,
  lane: u32,
  inRange: bool,
  base: u32,         // index of the row's first element
}

fn rowSlot(wid: vec3u, lid: u32) -> RowSlot {
  let row = linearGroup(wid, params.rowGridX) * ROWS_PER_GROUP + lid / ROW_LANES;
  return RowSlot(row, lid % ROW_LANES, row < params.rows, row * params.classes);
}

// The first of the ${COLUMN_WIDTH} columns a column_statistics invocation works on (it walks the rows of
// strand lid / COLUMN_TILE).
fn columnOf(wid: vec3u, lid: u32) -> u32 {
  return (linearGroup(wid, params.columnGridX) * COLUMN_TILE + lid % COLUMN_TILE) * ${COLUMN_WIDTH}u;
}
`;

/** One array a row loop reads: `name` is the element's value in the loop body. */
export interface RowLoad {
  readonly name: string;
  /** The array<f32> binding. */
  readonly scalars: string;
  /**
   * The same buffer bound as array<vec4f> (bindings that may use it: see forEachInRow); without
   * one the array is read one value at a time (a buffer the kernel also writes: Dawn refuses a
   * writable buffer bound twice).
   */
  readonly vectors?: string;
}

/** One array a row loop writes: the body defines `name` for each element, the loop stores it. */
export interface RowStore {
  readonly name: string;
  /** The binding: array<f32>, or array<vec4f> in a kernel for aligned rows. */
  readonly target: string;
}

/**
 * WGSL that runs \`body\` for each element of the invocation's share of its row (RowSlot), in
 * column order for each invocation, while \`condition\` holds; \`body\` sees \`j\` (the column),
 * \`index\` (the element's index) and each load's value under its name, and defines each store's.
 *
 * The row's aligned middle is read as vec4s (from the same buffer bound as array<vec4f>), its
 * unaligned ends one value at a time; the ROW_LANES invocations of a row take its quads in turn.
 * With one invocation per row (CPU emulations) the lanes of the emulation's SIMD registers are rows
 * C floats apart, so every load is a gather with a bounds check, and a vec4 brings four values per
 * gather; on hardware GPUs adjacent invocations read adjacent 16-byte words. Binding a buffer as
 * array<vec4f> needs at least VECTOR_BINDING_MIN_BYTES; the vec4 reads never pass the row's end,
 * so no padding is needed.
 *
 * \`alignedRows\`: the kernel runs only when C is a multiple of 4, so every row is whole vec4s,
 * read from the vector bindings alone and written as vec4s (a store is then one scatter per four
 * values). Otherwise stores are one value at a time: a vec4 at a row's end would also hold the next
 * row's first values, which another invocation writes.
 */
export function forEachInRow(condition: string, loads: readonly RowLoad[], body: string, alignedRows: boolean, stores: readonly RowStore[] = []): string {
  if (alignedRows && loads.some((load) => !load.vectors)) throw new Error('forEachInRow: aligned rows read vector bindings only');
  const element = (column: string, value: (load: RowLoad) => string, store: (store: RowStore) => string) => /* wgsl */ `{
      let j = ${column};
      let index = slot.base + j;
${loads.map((load) => `      let ${load.name} = ${value(load)};`).join('\n')}
      ${body}
${stores.map((target) => `      ${store(target)}`).join('\n')}
    }`;
  const scalarStore = (target: RowStore) => `${target.target}[index] = ${target.name};`;
  const scalarLoop = (from: string, to: string) => /* wgsl */ `
  for (var column = ${from} + slot.lane; ${condition} && column < ${to}; column = column + ROW_LANES) ${element('column', (load) => `${load.scalars}[slot.base + column]`, scalarStore)}`;
  const quadLoop = (from: string, to: string) => {
    const lanes = ['x', 'y', 'z', 'w'];
    const quadElements = lanes
      .map((lane, k) =>
        element(
          `quadStart + ${k}u`,
          (load) => (load.vectors ? `${load.name}4.${lane}` : `${load.scalars}[slot.base + quadStart + ${k}u]`),
          (target) => (alignedRows ? `${target.name}4.${lane} = ${target.name};` : scalarStore(target)),
        ),
      )
      .join('\n    ');
    return /* wgsl */ `
  for (var quadStart = ${from} + 4u * slot.lane; ${condition} && quadStart < ${to}; quadStart = quadStart + 4u * ROW_LANES) {
    let quad = (slot.base + quadStart) / 4u;
${loads.filter((load) => load.vectors).map((load) => `    let ${load.name}4 = ${load.vectors}[quad];`).join('\n')}
${alignedRows ? stores.map((target) => `    var ${target.name}4: vec4f;`).join('\n') : ''}
    ${quadElements}
${alignedRows ? stores.map((target) => `    ${target.target}[quad] = ${target.name}4;`).join('\n') : ''}
  }`;
  };
  if (alignedRows) return `{${quadLoop('0u', 'params.classes')}\n}`;
  return /* wgsl */ `{
  // Columns before the row's first 16-byte boundary, then whole vec4s, then the rest.
  let head = min((4u - slot.base % 4u) % 4u, params.classes);
  let quadsEnd = head + (params.classes - head) / 4u * 4u;
  ${scalarLoop('0u', 'head')}
  ${quadLoop('head', 'quadsEnd')}
  ${scalarLoop('quadsEnd', 'params.classes')}
}`;
}

/** The smallest buffer the kernels bind as array<vec4f> (see forEachInRow). */
export const VECTOR_BINDING_MIN_BYTES = 16;

/**
 * A fixed-shape tree reduction over each aligned segment of `lanes` invocations: the same input
 * gives the same bits on every run (no atomics). Every invocation of the workgroup must call it.
 */
function reduction(name: string, combine: string, lanes: number): string {
  if (lanes === 1) return `fn ${name}(lid: u32, value: vec4f) -> vec4f { return value; }`;
  return /* wgsl */ `
fn ${name}(lid: u32, value: vec4f) -> vec4f {
  scratch[lid] = value;
  workgroupBarrier();
  let lane = lid % ${lanes}u;
  for (var stride = ${lanes / 2}u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) {
      let a = scratch[lid];
      let b = scratch[lid + stride];
      scratch[lid] = ${combine};
    }
    workgroupBarrier();
  }
  let total = scratch[lid - lane];
  workgroupBarrier();
  return total;
}`;
}

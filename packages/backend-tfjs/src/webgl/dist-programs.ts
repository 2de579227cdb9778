/**
 * DIST as GLSL programs for tfjs-backend-webgl's program API (`GPGPUProgram`, run by
 * `backend.runWebGLProgram`). Plain data and GLSL, no tfjs import: `kernels/dist-webgl.ts` runs them.
 *
 * Every program reads packed textures (`packedInputs`): a texel holds a 2 x 2 block of a [rows, cols]
 * tensor, components (r, c), (r, c+1), (r+1, c), (r+1, c+1). The logits are [B, C]; the statistics
 * are small packed tensors chosen so that one texel holds what a pass needs of two rows or two
 * columns:
 *
 *   rowMax    [B, 2]   per row: max of the student, max of the teacher (NaN for bad input)
 *   rowParams [B, 4]   per row: the student's 1/S and mean(m), with S = sum e^z, m = e^z - 1,
 *                      z = (x - max) / tau (sigmoid: 0 and mean(p)), then the teacher's; rowSums
 *                      writes their sums per block, the reduce divides once per row
 *   rowCorr   [2B, 2]  per row r, rows 2r and 2r + 1 (one texel): Sxy, Sxx, Syy of the row-centred
 *                      softmax, 0
 *   colMeans  [4, C]   per column: mean of p, mean of p - c (c = 1/C; sigmoid: 1) of the student,
 *                      then of the teacher
 *   colCorr   [2, 2C]  per column c, columns 2c and 2c + 1 (one texel): Sxy, Sxx, Syy of the
 *                      column-centred softmax, 0
 *   (the passes write one such tensor per block of columns or rows, combined by
 *   \`rowBlockReduceProgram\` and \`blockSumProgram\`)
 *   colCoef   [2, C]  per column: u and v of dcorr/dx = u * yc - v * xc
 *   rowProj   [B, 2]  per row: the column terms' part of sum_k p_k G_k (softmax backward only), 0
 *   rowTerms  [B, 4]  per row: u, v, and the whole of sum_k p_k G_k, 0
 *
 * Precision (float32 textures): p - 1/C is (m - mean(m)) / S with m = e^z - 1 from a Taylor series
 * near 0, so near-uniform rows keep their small deviations; p itself is e^z / S, exact relative to
 * tiny probabilities; each column is centred from p where its mean is below 1/(2C) and from p - 1/C
 * elsewhere, as `statistics.ts` does for the ops path. Sums run over one row or column per fragment,
 * four lanes at a time: the two rows of a texel for the row and column sums, four columns of one row
 * (rowCorr) or four rows of one column (colCorr) for the correlation sums, whose three sums per row or
 * column then fit one output texel (SwiftShader runs a shader's vec4 as four scalar lanes, so a
 * fragment's cost is its lanes' work, and no two fragments repeat a sum).
 *
 * The sigmoid (SPEC.md, Activation) runs the same passes with `activation: 'sigmoid'`: p = sigmoid(z)
 * and p - 1 = -sigmoid(-z), z = x / tau, each from t = e^-|z| without cancellation, the rows centred
 * by their means (rowParams), the columns from p below a mean of 1/2 and from p - 1 above (precise
 * near 1), and the backward p (1 - p) G, which has no row projection.
 */

/** The activations the programs compute (SPEC.md). */
export type WebGLActivation = 'softmax' | 'sigmoid';

/** The fields of tfjs-backend-webgl's `GPGPUProgram` these programs use. */
export interface DistWebGLProgram {
  readonly variableNames: string[];
  readonly outputShape: number[];
  readonly userCode: string;
  readonly packedInputs: true;
  readonly packedOutput: boolean;
  readonly customUniforms?: Uniform[];
}

/**
 * Row passes split the classes into blocks of \`COLS_PER_BLOCK\`, one fragment per row pair and block,
 * and \`rowBlockReduceProgram\` combines the blocks (see \`ROWS_PER_BLOCK\` for why).
 */
export const COLS_PER_BLOCK = 128;

export function rowBlocks(classes: number): number {
  return Math.ceil(classes / COLS_PER_BLOCK);
}

type Uniform = { name: string; type: 'float' | 'int' };

/** A program reading and writing packed textures, the shape of all but the scalar one. */
function packedProgram(variableNames: string[], outputShape: number[], customUniforms: Uniform[], userCode: string): DistWebGLProgram {
  return { variableNames, outputShape, packedInputs: true, packedOutput: true, customUniforms, userCode };
}

/** Uniforms every program that turns logits into probabilities takes, in this order. */
const SOFTMAX_UNIFORMS: Uniform[] = [{ name: 'invTau', type: 'float' }];

/** The lowest finite float32, where a max starts. */
const LOWEST = 'const float LOWEST = -3.40282347e38;';

function prelude(batch: number, classes: number): string {
  return `
  ${LOWEST}
  const int B = ${batch};
  const int C = ${classes};
  const float CLASSES = ${classes}.0;
  const int ROW_PAIRS = ${Math.ceil(batch / 2)};
  const int FULL_COL_PAIRS = ${Math.floor(classes / 2)};
  const int BLOCK_COL_PAIRS = ${COLS_PER_BLOCK / 2};
  const int FULL_COL_QUADS = ${Math.floor(classes / 4)};
  const int BLOCK_COL_QUADS = ${COLS_PER_BLOCK / 4};
  // The block of columns that holds the last column when C is odd.
  const int TAIL_BLOCK = FULL_COL_PAIRS / BLOCK_COL_PAIRS;
  const bool ODD_C = ${classes % 2 === 1};
  const bool ODD_B = ${batch % 2 === 1};

  // The four lanes of a sum added up, in pairs.
  float laneSum(vec4 v) {
    return (v.x + v.y) + (v.z + v.w);
  }

  // e^z and e^z - 1 (z <= 0), lane by lane, each to float32 relative precision: a Taylor series
  // for e^z - 1 where e^z - 1 would cancel, exp elsewhere. The series' argument is clamped so that
  // a lane that does not use it cannot overflow into the result.
  void expParts(vec4 z, out vec4 e, out vec4 m) {
    vec4 s = max(z, vec4(-0.35));
    vec4 series = s * (1.0 + s * (0.5 + s * (1.0 / 6.0 + s * (1.0 / 24.0 + s * (1.0 / 120.0
      + s * (1.0 / 720.0 + s * (1.0 / 5040.0 + s * (1.0 / 40320.0))))))));
    vec4 ez = exp(z);
    vec4 near = vec4(greaterThan(z, vec4(-0.35)));
    m = mix(ez - 1.0, series, near);
    e = mix(ez, 1.0 + series, near);
  }

  // corr and the two coefficients of its derivative, dcorr/dx = u * yc - v * xc (SPEC.md), from
  // (Sxy, Sxx, Syy); NaN when the denominator is 0 (eps = 0 met a zero variance).
  vec3 correlation(float sxy, float sxx, float syy, float eps, float epsInside) {
    float a = sqrt(sxx + epsInside);
    float b = sqrt(syy + epsInside);
    float d = a * b + eps;
    if (d == 0.0) return vec3(NAN);
    float r = sxy / d;
    // b / a -> its limit 0 when a = 0 (only with eps outside the roots): every xc is 0 then.
    float ratio = a == 0.0 ? 0.0 : b / a;
    return vec3(r, 1.0 / d, r * ratio / d);
  }
`;
}

/**
 * Max of each row of both inputs over one block of columns; NaN (for both) where the block holds a
 * logit that is bad input.
 */
export function rowMaxProgram(batch: number, classes: number): DistWebGLProgram {
  return packedProgram(['student', 'teacher'], [batch, 2 * rowBlocks(classes)], [{ name: 'logitLimit', type: 'float' }], `
    ${prelude(batch, classes)}
    // 1 in a lane whose logit is NaN, ±Infinity or beyond logitLimit (overflows once divided by tau).
    vec4 badLanes(vec4 x) {
      bvec4 special = equal(floatBitsToUint(x) & uvec4(0x7f800000u), uvec4(0x7f800000u));
      return max(vec4(special), vec4(greaterThan(abs(x), vec4(logitLimit))));
    }
    void main() {
      ivec2 rc = getOutputCoords();
      int row = rc.x;
      int block = rc.y / 2;
      vec4 hiS = vec4(LOWEST);
      vec4 hiT = vec4(LOWEST);
      vec4 bad = vec4(0.0);
      for (int i = 0; i < BLOCK_COL_PAIRS; i++) {
        int pair = block * BLOCK_COL_PAIRS + i;
        if (pair >= FULL_COL_PAIRS) break;
        vec4 s = getStudent(row, 2 * pair);
        vec4 t = getTeacher(row, 2 * pair);
        hiS = max(hiS, s);
        hiT = max(hiT, t);
        bad = max(bad, max(badLanes(s), badLanes(t)));
      }
      if (ODD_C && block == TAIL_BLOCK) {
        vec4 s = getStudent(row, C - 1);
        vec4 t = getTeacher(row, C - 1);
        hiS.xz = max(hiS.xz, s.xz);
        hiT.xz = max(hiT.xz, t.xz);
        bad.xz = max(bad.xz, max(badLanes(s).xz, badLanes(t).xz));
      }
      vec2 maxS = max(hiS.xz, hiS.yw);
      vec2 maxT = max(hiT.xz, hiT.yw);
      vec2 rowBad = max(bad.xz, bad.yw);
      vec4 result = vec4(maxS.x, maxT.x, maxS.y, maxT.y);
      if (rowBad.x > 0.0) result.xy = vec2(NAN);
      if (rowBad.y > 0.0) result.zw = vec2(NAN);
      setOutput(result);
    }`);
}

/**
 * A program reading both sides' logits: the texel of one side (0 student, 1 teacher) at (row, col),
 * both read and one selected (a branch would run both ways in a quad holding both sides), and the
 * lanes of a logits texel with the max of their row, from rowMax's texel (maxS, maxT of two rows).
 */
const SIDES = `
  vec4 sideLogits(int row, int col, int side) {
    vec4 s = getStudent(row, col);
    vec4 t = getTeacher(row, col);
    return side == 0 ? s : t;
  }
  vec4 laneMax(vec4 rowMax, int side) {
    return side == 0 ? rowMax.xxzz : rowMax.yyww;
  }
`;

/**
 * Per row of each side's logits, over one block of columns: S = sum e^z and sum (e^z - 1) (softmax),
 * or sum p and 0 (sigmoid); block k's texels are columns 4k (student) and 4k + 2 (teacher). A fragment
 * reads both sides' texels and activates one (a selection, not a branch).
 */
export function rowSumsProgram(batch: number, classes: number, activation: WebGLActivation): DistWebGLProgram {
  const sumLanes =
    activation === 'sigmoid'
      ? `void sumLanes(vec4 x, vec4 top, out vec4 a, out vec4 b) {
        vec4 centred;
        activationLanes(x, top, vec4(0.0), vec4(0.0), a, centred, b);
        b = vec4(0.0);
      }`
      : `void sumLanes(vec4 x, vec4 top, out vec4 a, out vec4 b) {
        expParts((x - top) * invTau, a, b);
      }`;
  return packedProgram(['student', 'teacher', 'rowMax'], [batch, 4 * rowBlocks(classes)], SOFTMAX_UNIFORMS, `
    ${prelude(batch, classes)}
    ${SIDES}
    ${activationLanes(activation)}
    ${sumLanes}
    void main() {
      ivec2 rc = getOutputCoords();
      int row = rc.x;
      int block = rc.y / 4;
      int side = (rc.y / 2) % 2;
      vec4 top = laneMax(getRowMax(row, 0), side);
      vec4 sumE = vec4(0.0);
      vec4 sumM = vec4(0.0);
      vec4 e;
      vec4 m;
      for (int i = 0; i < BLOCK_COL_PAIRS; i++) {
        int pair = block * BLOCK_COL_PAIRS + i;
        if (pair >= FULL_COL_PAIRS) break;
        sumLanes(sideLogits(row, 2 * pair, side), top, e, m);
        sumE += e;
        sumM += m;
      }
      if (ODD_C && block == TAIL_BLOCK) {
        sumLanes(sideLogits(row, C - 1, side), top, e, m);
        sumE.xz += e.xz;
        sumM.xz += m.xz;
      }
      setOutput(vec4(sumE.x + sumE.y, sumM.x + sumM.y, sumE.z + sumE.w, sumM.z + sumM.w));
    }`);
}

/**
 * Four logits activated, from the logits, their rows' max and their rows' parameters (rowParams:
 * 1/S and mean(m), or mean(p) alone), each lined up with the lanes: p, the row-centred p - mean, and
 * the second form p - c the columns may take. Softmax:
 * p = e / S and p - 1/C = (m - mean(m)) / S, both forms at once. Sigmoid: see the file's comment;
 * (top - top) is 0, or NaN for a row with a bad logit, which then turns the whole row NaN.
 */
function activationLanes(activation: WebGLActivation): string {
  if (activation === 'sigmoid') {
    return `
  const float SECOND_FORM_HALF = 0.5;
  void activationLanes(vec4 x, vec4 top, vec4 invS, vec4 rowMean, out vec4 p, out vec4 centred, out vec4 second) {
    vec4 z = x * invTau + (top - top);
    vec4 t = exp(-abs(z));
    vec4 r = 1.0 / (1.0 + t);
    vec4 tr = t * r;
    bvec4 positive = greaterThan(z, vec4(0.0));
    p = mix(tr, r, positive);
    second = -mix(r, tr, positive);
    centred = p - rowMean;
  }
`;
  }
  return `
  const float SECOND_FORM_HALF = 0.5 / CLASSES;
  void activationLanes(vec4 x, vec4 top, vec4 invS, vec4 rowMean, out vec4 p, out vec4 centred, out vec4 second) {
    vec4 e;
    vec4 m;
    expParts((x - top) * invTau, e, m);
    p = e * invS;
    centred = (m - rowMean) * invS;
    second = centred;
  }
`;
}

/**
 * For programs that read both sides (inputs student, teacher, rowMax, rowParams): the activation
 * parameters of a row pair, and p, its row-centred and second forms, and q's, of a texel.
 */
const ACTIVATION_PAIR = `
  struct RowActivation { vec4 topS; vec4 topT; vec4 paramsS; vec4 paramsT; };
  RowActivation rowActivation(int row) {
    vec4 rowMax = getRowMax(row, 0);
    return RowActivation(laneMax(rowMax, 0), laneMax(rowMax, 1), getRowParams(row, 0), getRowParams(row, 2));
  }
  void activationPair(int row, int col, RowActivation rows, out vec4 p, out vec4 pc, out vec4 ps, out vec4 q, out vec4 qc, out vec4 qs) {
    activationLanes(getStudent(row, col), rows.topS, rows.paramsS.xxzz, rows.paramsS.yyww, p, pc, ps);
    activationLanes(getTeacher(row, col), rows.topT, rows.paramsT.xxzz, rows.paramsT.yyww, q, qc, qs);
  }
`;

/**
 * Per row and block of columns: Sxy, Sxx, Syy of the row-centred p and q, and 0, in one texel (rows
 * 2r, 2r + 1 and columns 2k, 2k + 1 for row r and block k). The lanes are four columns of the row,
 * from two logits texels.
 */
export function rowCorrelationProgram(batch: number, classes: number, activation: WebGLActivation): DistWebGLProgram {
  return packedProgram(['student', 'teacher', 'rowMax', 'rowParams'], [2 * batch, 2 * rowBlocks(classes)], SOFTMAX_UNIFORMS, `
    ${prelude(batch, classes)}
    ${activationLanes(activation)}
    // Columns col to col + 3 of the row (lower: the texels' second row), from the texels at col and col + 2.
    vec4 rowQuad(vec4 a, vec4 b, bool lower) {
      return lower ? vec4(a.zw, b.zw) : vec4(a.xy, b.xy);
    }
    // One side's activation parameters for lanes that all lie in the row.
    struct RowSide { vec4 top; vec4 invS; vec4 mean; };
    RowSide rowSide(float top, vec4 params, bool lower) {
      vec2 row = lower ? params.zw : params.xy;
      return RowSide(vec4(top), vec4(row.x), vec4(row.y));
    }
    void main() {
      ivec2 rc = getOutputCoords();
      int row = rc.x / 2;
      int block = rc.y / 2;
      bool lower = row % 2 == 1;
      vec4 rowMax = getRowMax(row, 0);
      vec2 top = lower ? rowMax.zw : rowMax.xy;
      RowSide s = rowSide(top.x, getRowParams(row, 0), lower);
      RowSide t = rowSide(top.y, getRowParams(row, 2), lower);
      vec4 sxy = vec4(0.0), sxx = vec4(0.0), syy = vec4(0.0);
      vec4 p, pc, ps, q, qc, qs;
      for (int i = 0; i < BLOCK_COL_QUADS; i++) {
        int col = 4 * (block * BLOCK_COL_QUADS + i);
        if (col >= C) break;
        activationLanes(rowQuad(getStudent(row, col), getStudent(row, col + 2), lower), s.top, s.invS, s.mean, p, pc, ps);
        activationLanes(rowQuad(getTeacher(row, col), getTeacher(row, col + 2), lower), t.top, t.invS, t.mean, q, qc, qs);
        // The last quad's lanes past C drop out by selection (multiplying by 0 would keep a NaN).
        if (col >= 4 * FULL_COL_QUADS) {
          bvec4 lanes = lessThan(col + ivec4(0, 1, 2, 3), ivec4(C));
          pc = mix(vec4(0.0), pc, lanes);
          qc = mix(vec4(0.0), qc, lanes);
        }
        sxy += pc * qc;
        sxx += pc * pc;
        syy += qc * qc;
      }
      setOutput(vec4(laneSum(sxy), laneSum(sxx), laneSum(syy), 0.0));
    }`);
}

/**
 * The lanes of a [B, C] texel at row pair \`row\` whose rows exist (B may be odd). Lanes are
 * dropped by selection, not by multiplying with 0, which would keep a NaN of the padding.
 */
const ROW_LANES = `
  bvec4 rowLanes(int row) {
    return bvec4(true, true, !(ODD_B && row == B - 1), !(ODD_B && row == B - 1));
  }
`;

/**
 * Turns rowSums' sums of a texel (two rows) into rowParams: 1/S and mean(m) for the softmax, 0 and
 * mean(p) for the sigmoid, divided once per row rather than in every lane that activates a logit.
 */
export function rowParameters(classes: number, activation: WebGLActivation): string {
  const parameters = activation === 'sigmoid' ? 'vec4(0.0, sums.x, 0.0, sums.z) / CLASSES' : 'vec4(1.0 / sums.x, sums.y / CLASSES, 1.0 / sums.z, sums.w / CLASSES)';
  return `
    const float CLASSES = ${classes}.0;
    vec4 finish(vec4 sums) {
      return ${parameters};
    }`;
}

/**
 * Combines the blocks of a row pass: [rows, width * blocks] to [rows, width] (width 2 or 4; rows B,
 * or 2B for rowCorr), by sum, or by max for rowMax, where a NaN (bad input) in any block stays NaN;
 * then \`finish\` (GLSL defining \`vec4 finish(vec4)\`, as \`rowParameters\` does) maps each texel.
 */
export function rowBlockReduceProgram(
  rows: number,
  classes: number,
  width: 2 | 4,
  combine: 'sum' | 'max',
  finish = 'vec4 finish(vec4 total) { return total; }',
): DistWebGLProgram {
  const step = combine === 'sum' ? 'total += part;' : 'total = max(total, part); nan = max(nan, vec4(greaterThan(floatBitsToUint(part) & uvec4(0x7fffffffu), uvec4(0x7f800000u))));';
  return packedProgram(['blocks'], [rows, width], [], `
    ${LOWEST}
    ${finish}
    void main() {
      ivec2 rc = getOutputCoords();
      vec4 total = vec4(${combine === 'sum' ? '0.0' : 'LOWEST'});
      vec4 nan = vec4(0.0);
      for (int block = 0; block < ${rowBlocks(classes)}; block++) {
        vec4 part = getBlocks(rc.x, block * ${width} + rc.y);
        ${step}
      }
      setOutput(finish(mix(total, vec4(NAN), greaterThan(nan, vec4(0.0)))));
    }`);
}

/**
 * Column passes split the batch into blocks of \`ROWS_PER_BLOCK\` rows, one fragment per block and
 * column pair, and \`blockSumProgram\` adds the blocks up: a pass with one fragment per column pair
 * walking the whole batch leaves most of a GPU (and SwiftShader's threads, which split the frame by
 * rows) idle.
 */
export const ROWS_PER_BLOCK = 32;

export function columnBlocks(batch: number): number {
  return Math.ceil(batch / ROWS_PER_BLOCK);
}

/** The loop over the row pairs of the fragment's block (\`block\`), as GLSL. */
function blockRowPairs(body: string): string {
  return `
      for (int i = 0; i < ${ROWS_PER_BLOCK / 2}; i++) {
        int pair = block * ${ROWS_PER_BLOCK / 2} + i;
        if (pair >= ROW_PAIRS) break;
        int row = 2 * pair;
        ${body}
      }`;
}

/**
 * Per column and block of rows, for each side: sum of p and of p - c, block k's texels at rows 4k
 * (student) and 4k + 2 (teacher). A fragment reads both sides' texels and activates one.
 */
export function columnSumsProgram(batch: number, classes: number, activation: WebGLActivation): DistWebGLProgram {
  return packedProgram(['student', 'teacher', 'rowMax', 'rowParams'], [4 * columnBlocks(batch), classes], SOFTMAX_UNIFORMS, `
    ${prelude(batch, classes)}
    ${SIDES}
    ${activationLanes(activation)}
    ${ROW_LANES}
    void main() {
      ivec2 rc = getOutputCoords();
      int block = rc.x / 4;
      int side = (rc.x / 2) % 2;
      int col = rc.y;
      vec4 sumP = vec4(0.0);
      vec4 sumC = vec4(0.0);
      vec4 p, centred, second;
      ${blockRowPairs(`
        vec4 params = getRowParams(row, 2 * side);
        activationLanes(sideLogits(row, col, side), laneMax(getRowMax(row, 0), side), params.xxzz, params.yyww, p, centred, second);
        bvec4 lanes = rowLanes(row);
        sumP += mix(vec4(0.0), p, lanes);
        sumC += mix(vec4(0.0), second, lanes);`)}
      // Lanes (r, c), (r, c+1), (r+1, c), (r+1, c+1): the two columns are .x + .z and .y + .w.
      setOutput(vec4(sumP.xy + sumP.zw, sumC.xy + sumC.zw));
    }`);
}

/**
 * Adds up the blocks of a column pass: [rows * blocks, width] to [rows, width] (rows 2 or 4; width C,
 * or 2C for colCorr), times \`scale\`.
 */
export function blockSumProgram(batch: number, rows: 2 | 4, width: number, scale: number): DistWebGLProgram {
  return packedProgram(['blocks'], [rows, width], [], `
    void main() {
      ivec2 rc = getOutputCoords();
      vec4 total = vec4(0.0);
      for (int block = 0; block < ${columnBlocks(batch)}; block++) {
        total += getBlocks(block * ${rows} + rc.x, rc.y);
      }
      setOutput(total * ${scale.toExponential()});
    }`);
}

/**
 * The column-centred activation of four lanes: from p where the column's values are small (mean of p
 * below c / 2: 1/(2C) for the softmax, 1/2 for the sigmoid), from p - c elsewhere, with the lanes'
 * column means of p and of p - c (from colMeans).
 */
const COLUMN_CENTRED = `
  vec4 columnCentred(vec4 p, vec4 second, vec4 meanP, vec4 meanC) {
    vec4 small = vec4(lessThan(meanP, vec4(SECOND_FORM_HALF)));
    return mix(second - meanC, p - meanP, small);
  }
`;

/**
 * Per column and block of rows: Sxy, Sxx, Syy of the column-centred activations, and 0, in one texel
 * (rows 2k, 2k + 1 and columns 2c, 2c + 1 for block k and column c). The lanes are four rows of the
 * column, from two logits texels.
 */
export function columnCorrelationProgram(batch: number, classes: number, activation: WebGLActivation): DistWebGLProgram {
  return packedProgram(['student', 'teacher', 'rowMax', 'rowParams', 'colMeans'], [2 * columnBlocks(batch), 2 * classes], SOFTMAX_UNIFORMS, `
    ${prelude(batch, classes)}
    ${activationLanes(activation)}
    ${COLUMN_CENTRED}
    // Rows row to row + 3 of the column (right: the texels' second column), from the texels at row and row + 2.
    vec4 columnQuad(vec4 a, vec4 b, bool right) {
      return right ? vec4(a.yw, b.yw) : vec4(a.xz, b.xz);
    }
    void main() {
      ivec2 rc = getOutputCoords();
      int block = rc.x / 2;
      int col = rc.y / 2;
      bool right = col % 2 == 1;
      vec4 meansS = getColMeans(0, col);
      vec4 meansT = getColMeans(2, col);
      vec4 meanPS = vec4(right ? meansS.y : meansS.x);
      vec4 meanCS = vec4(right ? meansS.w : meansS.z);
      vec4 meanPT = vec4(right ? meansT.y : meansT.x);
      vec4 meanCT = vec4(right ? meansT.w : meansT.z);
      vec4 sxy = vec4(0.0), sxx = vec4(0.0), syy = vec4(0.0);
      vec4 p, pc, ps, q, qc, qs;
      for (int i = 0; i < ${ROWS_PER_BLOCK / 4}; i++) {
        int row = block * ${ROWS_PER_BLOCK} + 4 * i;
        if (row >= B) break;
        // rowMax and rowParams texels hold two rows each: rows r, r + 1 are lanes .xz (maxS; 1/S) and .yw.
        vec4 maxA = getRowMax(row, 0), maxB = getRowMax(row + 2, 0);
        vec4 studentA = getRowParams(row, 0), studentB = getRowParams(row + 2, 0);
        vec4 teacherA = getRowParams(row, 2), teacherB = getRowParams(row + 2, 2);
        activationLanes(columnQuad(getStudent(row, col), getStudent(row + 2, col), right), vec4(maxA.xz, maxB.xz),
          vec4(studentA.xz, studentB.xz), vec4(studentA.yw, studentB.yw), p, pc, ps);
        activationLanes(columnQuad(getTeacher(row, col), getTeacher(row + 2, col), right), vec4(maxA.yw, maxB.yw),
          vec4(teacherA.xz, teacherB.xz), vec4(teacherA.yw, teacherB.yw), q, qc, qs);
        // Lanes past the last row drop out by selection (multiplying by 0 would keep a NaN).
        bvec4 lanes = lessThan(row + ivec4(0, 1, 2, 3), ivec4(B));
        vec4 x = mix(vec4(0.0), columnCentred(p, ps, meanPS, meanCS), lanes);
        vec4 y = mix(vec4(0.0), columnCentred(q, qs, meanPT, meanCT), lanes);
        sxy += x * y;
        sxx += x * x;
        syy += y * y;
      }
      setOutput(vec4(laneSum(sxy), laneSum(sxx), laneSum(syy), 0.0));
    }`);
}

/** Uniforms of the programs that need the correlation coefficients, in this order. */
const GRADIENT_UNIFORMS: Uniform[] = [
  ...SOFTMAX_UNIFORMS,
  { name: 'eps', type: 'float' },
  { name: 'epsInside', type: 'float' },
  // (gamma * tau / C): the column terms' weight in dloss/dp times 1/tau (the softmax backward's).
  { name: 'columnScale', type: 'float' },
  // (beta * tau / B): the same for the row terms.
  { name: 'rowScale', type: 'float' },
];

/** Per column: the coefficients (u, v) of dcorr/dx = u * yc - v * xc, from colCorr. */
export function columnCoefficientsProgram(batch: number, classes: number): DistWebGLProgram {
  return packedProgram(['colCorr'], [2, classes], [{ name: 'eps', type: 'float' }, { name: 'epsInside', type: 'float' }], `
    ${prelude(batch, classes)}
    void main() {
      int col = getOutputCoords().y;
      vec4 sums = getColCorr(0, 2 * col);
      vec4 next = getColCorr(0, 2 * col + 2);
      vec3 first = correlation(sums.x, sums.y, sums.z, eps, epsInside);
      vec3 second = correlation(next.x, next.y, next.z, eps, epsInside);
      // Rows 0 and 1 of the output: u and v of the two columns.
      setOutput(vec4(first.y, second.y, first.z, second.z));
    }`);
}

/**
 * A texel holding two values of two columns (colMeans: mean p and mean p - c; colCoef: u and v) lined
 * up with a [B, C] texel's lanes (c, c+1, c, c+1).
 */
const COLUMN_LANES = `
  void columnLanes(vec4 texel, out vec4 first, out vec4 second) {
    first = texel.xyxy;
    second = texel.zwzw;
  }
`;

/** The inputs of the programs that activate texels of both sides with their columns' means. */
const ACTIVATION_INPUTS = ['student', 'teacher', 'rowMax', 'rowParams', 'colMeans'];

/** A texel's p and q column-centred (pcc, qcc), with colMeans' texels of the student and the teacher. */
const COLUMN_CENTRED_PAIR = `
  void columnCentredPair(int col, vec4 p, vec4 ps, vec4 q, vec4 qs, out vec4 pcc, out vec4 qcc) {
    vec4 meanP;
    vec4 meanC;
    columnLanes(getColMeans(0, col), meanP, meanC);
    pcc = columnCentred(p, ps, meanP, meanC);
    columnLanes(getColMeans(2, col), meanP, meanC);
    qcc = columnCentred(q, qs, meanP, meanC);
  }
`;

/**
 * Per row and block of columns: sum_k p_k * Gcol_k, where Gcol = columnScale * (v * pcc - u * qcc) is
 * the column terms' part of dloss/dp (times 1/tau); rowTermsProgram adds the row terms' part.
 */
export function rowProjectionProgram(batch: number, classes: number): DistWebGLProgram {
  const activation: WebGLActivation = 'softmax';
  return packedProgram([...ACTIVATION_INPUTS, 'colCoef'], [batch, 2 * rowBlocks(classes)], GRADIENT_UNIFORMS, `
    ${prelude(batch, classes)}
    ${SIDES}
    ${activationLanes(activation)}
    ${ACTIVATION_PAIR}
    ${COLUMN_CENTRED}
    ${COLUMN_LANES}
    ${COLUMN_CENTRED_PAIR}
    vec4 projectionLanes(int row, int col, RowActivation rows) {
      vec4 p, pc, ps, q, qc, qs;
      activationPair(row, col, rows, p, pc, ps, q, qc, qs);
      vec4 u;
      vec4 v;
      columnLanes(getColCoef(0, col), u, v);
      vec4 pcc;
      vec4 qcc;
      columnCentredPair(col, p, ps, q, qs, pcc, qcc);
      return p * (v * pcc - u * qcc);
    }
    void main() {
      ivec2 rc = getOutputCoords();
      int row = rc.x;
      int block = rc.y / 2;
      RowActivation rows = rowActivation(row);
      vec4 total = vec4(0.0);
      for (int i = 0; i < BLOCK_COL_PAIRS; i++) {
        int pair = block * BLOCK_COL_PAIRS + i;
        if (pair >= FULL_COL_PAIRS) break;
        total += projectionLanes(row, 2 * pair, rows);
      }
      if (ODD_C && block == TAIL_BLOCK) total.xz += projectionLanes(row, C - 1, rows).xz;
      setOutput(vec4(columnScale * (total.x + total.y), 0.0, columnScale * (total.z + total.w), 0.0));
    }`);
}

/**
 * Per row: the coefficients (u, v) of dcorr/dx (texel column 0: u, v of two rows) and the whole
 * softmax backward's projection sum_k p_k G_k (texel column 1): the row terms' part,
 * rowScale * (v * Sxx - u * Sxy), because sum_k p_k qc_k = Sxy and sum_k p_k pc_k = Sxx, plus rowProj.
 * The sigmoid's backward has no projection: without \`rowProj\` (\`projection\` false) column 1 is 0.
 */
export function rowTermsProgram(batch: number, classes: number, projection: boolean): DistWebGLProgram {
  return packedProgram(projection ? ['rowCorr', 'rowProj'] : ['rowCorr'], [batch, 4], [{ name: 'eps', type: 'float' }, { name: 'epsInside', type: 'float' }, { name: 'rowScale', type: 'float' }], `
    ${prelude(batch, classes)}
    void main() {
      ivec2 rc = getOutputCoords();
      // rowCorr's texels of the two rows: (Sxy, Sxx, Syy, 0) each.
      vec4 topSums = getRowCorr(2 * rc.x, 0);
      vec4 bottomSums = getRowCorr(2 * rc.x + 2, 0);
      vec3 top = correlation(topSums.x, topSums.y, topSums.z, eps, epsInside);
      vec3 bottom = correlation(bottomSums.x, bottomSums.y, bottomSums.z, eps, epsInside);
      ${
        projection
          ? `vec4 projections = getRowProj(rc.x, 0);
      float topProjection = rowScale * (top.z * topSums.y - top.y * topSums.x) + projections.x;
      float bottomProjection = rowScale * (bottom.z * bottomSums.y - bottom.y * bottomSums.x) + projections.z;`
          : `float topProjection = 0.0;
      float bottomProjection = 0.0;`
      }
      setOutput(rc.y == 0 ? vec4(top.yz, bottom.yz) : vec4(topProjection, 0.0, bottomProjection, 0.0));
    }`);
}

/**
 * dloss/dstudent for an upstream gradient of 1, per element: (1/tau) p (G - sum_k p_k G_k) for the
 * softmax, (1/tau) p (1 - p) G = -(1/tau) p (p - 1) G for the sigmoid.
 */
export function gradientProgram(batch: number, classes: number, activation: WebGLActivation): DistWebGLProgram {
  const backward = activation === 'sigmoid' ? '-p * ps * g' : 'p * (g - getRowTerms(row, 2).xxzz)';
  return packedProgram([...ACTIVATION_INPUTS, 'colCoef', 'rowTerms'], [batch, classes], GRADIENT_UNIFORMS, `
    ${prelude(batch, classes)}
    ${SIDES}
    ${activationLanes(activation)}
    ${ACTIVATION_PAIR}
    ${COLUMN_CENTRED}
    ${COLUMN_LANES}
    ${COLUMN_CENTRED_PAIR}
    void main() {
      ivec2 rc = getOutputCoords();
      int row = rc.x;
      int col = rc.y;
      vec4 p, pc, ps, q, qc, qs;
      activationPair(row, col, rowActivation(row), p, pc, ps, q, qc, qs);
      vec4 rowCoefficients = getRowTerms(row, 0);
      vec4 rowU = rowCoefficients.xxzz;
      vec4 rowV = rowCoefficients.yyww;
      vec4 colU;
      vec4 colV;
      columnLanes(getColCoef(0, col), colU, colV);
      vec4 pcc;
      vec4 qcc;
      columnCentredPair(col, p, ps, q, qs, pcc, qcc);
      // dcorr/dx = u*yc - v*xc, and the loss holds -corr: G = scale * (v*xc - u*yc), per relation.
      vec4 g = rowScale * (rowV * pc - rowU * qc) + columnScale * (colV * pcc - colU * qcc);
      setOutput(${backward});
    }`);
}

/**
 * One of loss (term 0), inter (1) and intra (2) as a scalar, from rowCorr and colCorr:
 * inter = 1 - mean over rows of corr, intra = 1 - mean over columns, loss their weighted sum.
 */
export function lossTermProgram(batch: number, classes: number): DistWebGLProgram {
  return {
    variableNames: ['rowCorr', 'colCorr'],
    outputShape: [],
    packedInputs: true,
    packedOutput: false,
    customUniforms: [
      { name: 'eps', type: 'float' },
      { name: 'epsInside', type: 'float' },
      { name: 'interWeight', type: 'float' },
      { name: 'intraWeight', type: 'float' },
      { name: 'term', type: 'int' },
    ],
    userCode: `
    ${prelude(batch, classes)}
    void main() {
      // rowCorr and colCorr hold (Sxy, Sxx, Syy, 0) of a row or column per texel.
      float rows = 0.0;
      for (int row = 0; row < B; row++) {
        vec4 sums = getRowCorr(2 * row, 0);
        rows += correlation(sums.x, sums.y, sums.z, eps, epsInside).x;
      }
      float cols = 0.0;
      for (int col = 0; col < C; col++) {
        vec4 sums = getColCorr(0, 2 * col);
        cols += correlation(sums.x, sums.y, sums.z, eps, epsInside).x;
      }
      float inter = 1.0 - rows / float(B);
      float intra = 1.0 - cols / float(C);
      setOutput(term == 0 ? interWeight * inter + intraWeight * intra : term == 1 ? inter : intra);
    }`,
  };
}

/**
 * The tolerance model of TOLERANCES.md: how far a correct float32 backend may land from the float64
 * values. scripts/golden_tolerance.py is the same model in Python (it writes the golden files'
 * `tol`); test/tolerance.test.ts checks that the two agree.
 *
 * A float32 backend is modelled as exact arithmetic on softmax inputs that carry its rounding
 * errors, written as a perturbation of each logit. The loss (gradient) tolerance is SAFETY times the
 * largest change of the float64 loss (gradient) over a few such rounding patterns, plus the rounding
 * of the sums that follow the softmax.
 */
import { gradientTermScale } from './gradient-terms.js';
import { referenceDist, selectRows, termWeights, type DistOptions, type Layout, type Precision, type Shape } from '@dist-kd/core';

/** Unit roundoff of float32: each float32 operation has relative error at most this. */
export const FLOAT32_UNIT_ROUNDOFF = 2 ** -24;
/**
 * Roundings, relative to p, that one softmax probability costs besides its exponent's argument:
 * exp (fast polynomial exps reach ~12 ulp), the division by the row sum and that sum's rounding.
 */
export const SOFTMAX_ROUNDINGS = 16;
/** How far above the modelled error a backend may be. */
export const SAFETY = 8;
/** Rounding patterns sampled. */
export const ROUNDING_SAMPLES = 3;
/**
 * A float64 backend's tolerance is the float32 one times the ratio of unit roundoffs (2^-53 / 2^-24),
 * doubled because the golden values carry float64 rounding of their own.
 */
export const FLOAT64_SCALE = 2 ** -28;

export interface Tolerance {
  /** Absolute tolerance of the loss. */
  readonly loss: number;
  /** Absolute tolerance of each gradient element. */
  readonly gradient: number;
}

export interface ToleranceInput {
  readonly student: ArrayLike<number>;
  readonly teacher: ArrayLike<number>;
  /** [B, C], or the 4-D shape of dense logits with `layout`. */
  readonly shape: Shape | readonly [number, number, number, number];
  readonly options: DistOptions;
  readonly mask?: ArrayLike<number>;
  readonly layout?: Layout;
}

/**
 * The float32 tolerance of one input, from the model: that of its kept rows (a masked or dense
 * input is the plain call on them; ignored rows have an exact zero gradient).
 */
export function modelTolerance(input: ToleranceInput): Tolerance {
  const selection = selectRows(
    { student: Float64Array.from(input.student), teacher: Float64Array.from(input.teacher), shape: input.shape, mask: input.mask, layout: input.layout, options: input.options },
    'float64',
  );
  if (!selection) return rowsTolerance({ ...input, shape: input.shape as Shape });
  // No kept row: the result is exactly zero.
  if (!selection.rows) return { loss: 0, gradient: 0 };
  const rows = selection.rows;
  return rowsTolerance({ student: rows.student as Float64Array, teacher: rows.teacher as Float64Array, shape: rows.shape as Shape, options: input.options });
}

function rowsTolerance(input: Omit<ToleranceInput, 'shape'> & { readonly shape: Shape }): Tolerance {
  const [B, C] = input.shape;
  const { tau } = input.options;
  const evaluate = (student: Float64Array, teacher: Float64Array) => {
    const result = referenceDist({ student, teacher, shape: input.shape, options: input.options, gradient: true });
    return { loss: result.loss, gradient: result.gradient! };
  };
  const student = Float64Array.from(input.student);
  const teacher = Float64Array.from(input.teacher);
  const base = evaluate(student, teacher);
  let lossChange = 0;
  let gradientChange = 0;
  for (let sample = 0; sample < ROUNDING_SAMPLES; sample++) {
    const perturbed = evaluate(
      perturb(student, B, C, tau, FLOAT32_UNIT_ROUNDOFF, sample),
      perturb(teacher, B, C, tau, FLOAT32_UNIT_ROUNDOFF, sample),
    );
    lossChange = Math.max(lossChange, Math.abs(perturbed.loss - base.loss));
    for (let k = 0; k < B * C; k++) {
      gradientChange = Math.max(gradientChange, Math.abs(perturbed.gradient[k] - base.gradient[k]));
    }
  }
  // The correlations' sums and the means over rows and columns round too: about sqrt(length)
  // roundings of terms of size (|beta| + |gamma|) * tau^2 (the weights of termWeights).
  const weights = termWeights(input.options);
  const weight = Math.abs(weights.inter) + Math.abs(weights.intra);
  const lossSums = FLOAT32_UNIT_ROUNDOFF * weight * (Math.sqrt(B) + Math.sqrt(C));
  // The gradient's arithmetic rounds relative to the terms it cancels; weight / tau times the
  // activation's factor (max p: 1 where C = 1) is the gradient's scale where every term is zero.
  // Without that factor a wide near-uniform row (p ~ 1/C) would tolerate C times its whole gradient.
  const terms = gradientTermScale(student, teacher, input.shape, input.options);
  const gradientSums = FLOAT32_UNIT_ROUNDOFF * Math.sqrt(B + C) * (terms.largest + (weight / tau) * terms.activationFactor);
  return { loss: SAFETY * (lossChange + lossSums), gradient: SAFETY * (gradientChange + gradientSums) };
}

/** Unit roundoff of float64. */
export const FLOAT64_UNIT_ROUNDOFF = 2 ** -53;

/**
 * A float32 tolerance, applied to a backend of the given precision. For float64, `input` adds the
 * golden values' own float64 rounding (`referenceRounding`), which the scaled float32 tolerance can
 * fall below where sums cancel.
 */
export function forPrecision(tolerance: Tolerance, precision: Precision, input?: ToleranceInput): Tolerance {
  if (precision === 'float32') return tolerance;
  const floor = input ? referenceRounding(input) : { loss: 0, gradient: 0 };
  return { loss: tolerance.loss * FLOAT64_SCALE + floor.loss, gradient: tolerance.gradient * FLOAT64_SCALE + floor.gradient };
}

/**
 * How far float64 values (the golden file's, or a float64 backend's) may be from the exact ones:
 * the sums over B + C values rounded at the worst case, (B + C) * u, rather than the sqrt(B + C)
 * of random-like rounding, on the same terms as the float32 model. In cancelling sums (64x4000 in
 * the official placement) float64 rounding is no longer random-like relative to the small result.
 */
export function referenceRounding(input: ToleranceInput): Tolerance {
  const selection = selectRows(
    { student: Float64Array.from(input.student), teacher: Float64Array.from(input.teacher), shape: input.shape, mask: input.mask, layout: input.layout, options: input.options },
    'float64',
  );
  const rows = selection ? selection.rows : { ...input, shape: input.shape as Shape };
  if (!rows) return { loss: 0, gradient: 0 };
  const shape = rows.shape as Shape;
  const [B, C] = shape;
  const weights = termWeights(input.options);
  const weight = Math.abs(weights.inter) + Math.abs(weights.intra);
  const terms = gradientTermScale(rows.student as ArrayLike<number>, rows.teacher as ArrayLike<number>, shape, input.options);
  const length = B + C;
  return {
    loss: SAFETY * FLOAT64_UNIT_ROUNDOFF * weight * length,
    gradient: SAFETY * FLOAT64_UNIT_ROUNDOFF * length * (terms.largest + (weight / input.options.tau) * terms.activationFactor),
  };
}

/**
 * Tolerance of the unscaled inter (intra) term: the loss tolerance bounds beta*tau^2 times its
 * error, so divide by that weight (by the other one when it is zero, as the term's error is alike).
 */
export function termTolerance(loss: number, options: Pick<DistOptions, 'beta' | 'gamma' | 'tau' | 'tauSquared'>, term: 'inter' | 'intra'): number {
  const weights = termWeights(options);
  const own = Math.abs(term === 'inter' ? weights.inter : weights.intra);
  const other = Math.abs(term === 'inter' ? weights.intra : weights.inter);
  const weight = own > 0 ? own : other;
  return weight > 0 ? loss / weight : loss;
}

/**
 * The modelled rounding of softmax(logits / tau), as a perturbation of each logit: dividing by tau
 * and subtracting the row maximum each round a value up to (|z| + max|z|) / tau, and the rest costs
 * SOFTMAX_ROUNDINGS roundings relative to p, which is tau times that in logit units.
 */
function perturb(logits: Float64Array, B: number, C: number, tau: number, unit: number, sample: number): Float64Array {
  const out = new Float64Array(B * C);
  for (let i = 0; i < B; i++) {
    let rowMax = -Infinity;
    let largest = 0;
    for (let j = 0; j < C; j++) {
      rowMax = Math.max(rowMax, logits[i * C + j]);
      largest = Math.max(largest, Math.abs(logits[i * C + j]));
    }
    for (let j = 0; j < C; j++) {
      const z = logits[i * C + j];
      out[i * C + j] = z + unit * (tau * SOFTMAX_ROUNDINGS + Math.abs(z) + largest) * roundingSign(z, rowMax, sample);
    }
  }
  return out;
}

const float32 = new Float32Array(1);
const float32Bits = new Uint32Array(float32.buffer);

function bitsOf(value: number): number {
  float32[0] = value;
  return float32Bits[0];
}

/** MurmurHash3's 32-bit finaliser. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The direction of the modelled rounding: a hash of the values a backend rounds (the logit and its
 * row's maximum), never of the position, because equal inputs round alike: a constant row stays
 * constant and an identical student and teacher stay identical.
 */
export function roundingSign(logit: number, rowMax: number, sample: number): 1 | -1 {
  const h = fmix32(bitsOf(logit) ^ fmix32(bitsOf(rowMax) ^ Math.imul(sample + 1, 0x9e3779b1)));
  return h & 0x80000000 ? 1 : -1;
}

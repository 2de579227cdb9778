import { DistInputError } from './errors.js';

/**
 * Where eps goes in the Pearson correlation.
 * - `design-note`: `Sxy / (sqrt(Sxx + eps) * sqrt(Syy + eps) + eps)`, the seed design note's code (default).
 * - `official`: `Sxy / (sqrt(Sxx) * sqrt(Syy) + eps)`, hunto/DIST_KD's `dist_kd.py`.
 */
export type EpsMode = 'design-note' | 'official';

export const EPS_MODES: readonly EpsMode[] = ['design-note', 'official'];

/**
 * What turns logits into the vectors DIST correlates (SPEC "Activation"): `softmax` over the classes
 * of a row (the default), or `sigmoid` of each logit on its own (the official detection code's
 * `use_sigmoid`, for RetinaNet-style heads).
 */
export type Activation = 'softmax' | 'sigmoid';

export const ACTIVATIONS: readonly Activation[] = ['softmax', 'sigmoid'];

export interface DistOptions {
  /**
   * Weight of the inter-class (per-sample) term.
   * @default 2
   */
  readonly beta: number;
  /**
   * Weight of the intra-class (per-class) term.
   * @default 2
   */
  readonly gamma: number;
  /**
   * Temperature of the activation; both terms are scaled by tau^2 unless `tauSquared` is false.
   * @default 6
   */
  readonly tau: number;
  /**
   * Stabiliser of the correlation's denominator; see `epsMode`.
   * @default 1e-8
   */
  readonly eps: number;
  /**
   * Where eps goes in the correlation (see `EpsMode`).
   * @default 'design-note'
   */
  readonly epsMode: EpsMode;
  /** `softmax` (default) or `sigmoid`; see `Activation`. */
  readonly activation: Activation;
  /**
   * Whether both terms are multiplied by tau^2 (default true). The design note and the official code
   * (hunto/DIST_KD `dist_kd.py`) scale by tau^2; the paper's appendix writes the loss without it, an
   * open question upstream. `false` follows the appendix: the loss is beta * inter + gamma * intra.
   */
  readonly tauSquared: boolean;
}

/**
 * The design note's defaults: beta = gamma = 2, tau = 6, eps = 1e-8, its own eps placement, softmax,
 * tau^2 scaling.
 */
export const DEFAULT_OPTIONS: DistOptions = Object.freeze({
  beta: 2,
  gamma: 2,
  tau: 6,
  eps: 1e-8,
  epsMode: 'design-note',
  activation: 'softmax',
  tauSquared: true,
});

export interface DistPreset {
  readonly options: DistOptions;
  /** Where the numbers come from. */
  readonly source: string;
  /** How the loss is combined with cross-entropy in that setting. */
  readonly usage: string;
}

/**
 * Published settings. The official code places eps outside the square roots, so these presets use
 * `epsMode: 'official'` to reproduce the published numbers; change it if you follow the design note.
 */
export const PRESETS = Object.freeze({
  /** The seed design note (`seed/DIST-design-note.md`): the library's defaults. */
  designNote: Object.freeze<DistPreset>({
    options: DEFAULT_OPTIONS,
    source: 'DIST design note (seed/DIST-design-note.md), PyTorch class DIST defaults',
    usage: 'total = CE + DIST',
  }),
  /**
   * ImageNet: beta = gamma = tau = 1 (Huang et al., "Knowledge Distillation from A Stronger Teacher",
   * NeurIPS 2022; hunto/DIST_KD image_classification_sota). ResNet-34 -> ResNet-18: 72.07% top-1.
   */
  imagenet: Object.freeze<DistPreset>({
    options: Object.freeze({ beta: 1, gamma: 1, tau: 1, eps: 1e-8, epsMode: 'official' as const, activation: 'softmax' as const, tauSquared: true }),
    source: 'Huang et al. 2022 (arXiv:2205.10536), ImageNet setting; hunto/DIST_KD lib/models/losses/dist_kd.py defaults',
    usage: 'total = CE + 2 * DIST',
  }),
  /**
   * CIFAR-100: tau = 4, beta = gamma = 1, KD loss weight 2 (hunto/DIST_KD classification_cifar
   * configs). ResNet32x4 -> ResNet8x4: 76.31% top-1.
   */
  cifar100: Object.freeze<DistPreset>({
    options: Object.freeze({ beta: 1, gamma: 1, tau: 4, eps: 1e-8, epsMode: 'official' as const, activation: 'softmax' as const, tauSquared: true }),
    source: 'Huang et al. 2022 (arXiv:2205.10536), CIFAR-100 setting; hunto/DIST_KD classification_cifar',
    usage: 'total = CE + 2 * DIST',
  }),
});

export type PresetName = keyof typeof PRESETS;

const OPTION_KEYS = new Set<string>(['beta', 'gamma', 'tau', 'eps', 'epsMode', 'activation', 'tauSquared']);

/**
 * Fills in defaults and checks every option. Unknown keys are rejected, since a misspelt option
 * (`temperature` for `tau`) would otherwise be ignored without a word.
 */
export function resolveOptions(options: Partial<DistOptions> | undefined = {}): DistOptions {
  if (options === null || typeof options !== 'object') {
    throw new DistInputError('BAD_OPTION', `options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new DistInputError(
        'BAD_OPTION',
        `unknown option "${key}"; the options are beta, gamma, tau, eps, epsMode, activation and tauSquared`,
      );
    }
  }
  const resolved: DistOptions = { ...DEFAULT_OPTIONS, ...stripUndefined(options) };
  for (const key of ['beta', 'gamma', 'tau', 'eps'] as const) {
    const value = resolved[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new DistInputError('BAD_OPTION', `option ${key} must be a finite number, got ${describe(value)}`);
    }
  }
  if (resolved.tau <= 0) {
    throw new DistInputError('BAD_OPTION', `option tau must be > 0, got ${resolved.tau}`);
  }
  if (resolved.eps < 0) {
    throw new DistInputError('BAD_OPTION', `option eps must be >= 0, got ${resolved.eps}`);
  }
  if (!EPS_MODES.includes(resolved.epsMode)) {
    throw new DistInputError(
      'BAD_OPTION',
      `option epsMode must be "design-note" or "official", got ${describe(resolved.epsMode)}`,
    );
  }
  if (!ACTIVATIONS.includes(resolved.activation)) {
    throw new DistInputError(
      'BAD_OPTION',
      `option activation must be "softmax" or "sigmoid", got ${describe(resolved.activation)}`,
    );
  }
  if (typeof resolved.tauSquared !== 'boolean') {
    throw new DistInputError(
      'BAD_OPTION',
      `option tauSquared must be true (scale both terms by tau^2, the design note and the official code) or false ` +
        `(the paper's appendix), got ${describe(resolved.tauSquared)}`,
    );
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a ${(value as object).constructor?.name ?? typeof value}`;
}

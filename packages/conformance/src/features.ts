/**
 * The optional features of a backend, which the suite checks: `bind` is detected on the object;
 * the rest come from the backend's own manifest (`DistBackend.supports`) unless declared. A feature
 * the backend does not offer must be refused with UNSUPPORTED_FEATURE; one it offers must conform.
 */
import type { DistBackend } from '@dist-kd/core';

export interface BackendFeatures {
  /** `bind` (bound logits, the bench's resident mode). */
  readonly bind?: boolean;
  /** `activation: 'sigmoid'`. */
  readonly sigmoid?: boolean;
  /** `mask` on compute and bind. */
  readonly masks?: boolean;
  /** 4-D logits with `layout: 'nchw' | 'nhwc'`. */
  readonly dense?: boolean;
}

export type ManifestFeature = Exclude<keyof BackendFeatures, 'bind'>;

/** The optional features a backend object offers: `bind` if it has one, the rest from `supports`. */
export function featuresOf(backend: Pick<DistBackend, 'bind' | 'supports'>): BackendFeatures {
  const { sigmoid = false, masks = false, dense = false } = backend.supports ?? {};
  return { bind: typeof backend.bind === 'function', sigmoid, masks, dense };
}

/** Whether the backend offers `feature`: as declared when it was, else as its manifest says. */
export function offers(backend: Pick<DistBackend, 'supports'>, feature: ManifestFeature, declared: BackendFeatures = {}): boolean {
  return declared[feature] ?? backend.supports?.[feature] === true;
}

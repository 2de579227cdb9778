/**
 * The optional features of a backend, which the suite checks: `bind` is detected on the object;
 * the rest come from the backend's own manifest (`DistBackend.supports`) unless declared. A feature
 * the backend does not offer must be refused with UNSUPPORTED_FEATURE; one it offers must conform.
 */
import type { DistBackend } from '@dist-kd/core';

export interface BackendFeatures {
  /** `bind` (bound logits, the bench's resident mode). */
  readonly bind?: boolean;
  /** `shards` (a batch split across shards, exactly as the whole). */
  readonly shards?: boolean;
  /** `activation: 'sigmoid'`. */
  readonly sigmoid?: boolean;
  /** `mask` on compute and bind. */
  readonly masks?: boolean;
  /** 4-D logits with `layout: 'nchw' | 'nhwc'`. */
  readonly dense?: boolean;
}

/** The features a backend declares in its manifest (`supports`); `bind` and `shards` are detected on it. */
export type ManifestFeature = Exclude<keyof BackendFeatures, 'bind' | 'shards'>;

const MANIFEST_FEATURES: readonly ManifestFeature[] = ['sigmoid', 'masks', 'dense'];

/** The optional features a backend object offers: `bind` and `shards` if it has them, the rest from `supports`. */
export function featuresOf(backend: Pick<DistBackend, 'bind' | 'shards' | 'supports'>): BackendFeatures {
  const { sigmoid = false, masks = false, dense = false } = backend.supports ?? {};
  const shards = typeof backend.shards === 'object' && backend.shards !== null;
  return { bind: typeof backend.bind === 'function', shards, sigmoid, masks, dense };
}

/** The features that are on, for reports ("bind, shards, masks"). */
export function featureNames(features: BackendFeatures): string[] {
  return (Object.keys(features) as (keyof BackendFeatures)[]).filter((name) => features[name] === true);
}

/** The manifest features that are off: their checks verify that the backend refuses them. */
export function refusedFeatureNames(features: BackendFeatures): string[] {
  return MANIFEST_FEATURES.filter((name) => features[name] !== true);
}

/** Whether the backend offers `feature`: as declared when it was, else as its manifest says. */
export function offers(backend: Pick<DistBackend, 'supports'>, feature: ManifestFeature, declared: BackendFeatures = {}): boolean {
  return declared[feature] ?? backend.supports?.[feature] === true;
}

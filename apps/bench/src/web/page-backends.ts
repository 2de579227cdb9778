/**
 * The backend modules bundled into the bench page. They are imported by package name (the map
 * below lets Vite bundle them); loadBackend picks the variant from the name. Which backends the
 * page times by default is `PAGE_HEADLINE_BACKENDS` (baselines.ts).
 */
import type { LoadOptions } from '@dist-kd/core';

const MODULES: Readonly<Record<string, () => Promise<unknown>>> = {
  '@dist-kd/backend-webgpu': () => import('@dist-kd/backend-webgpu'),
  '@dist-kd/backend-tfjs': () => import('@dist-kd/backend-tfjs'),
  '@dist-kd/backend-cpu': () => import('@dist-kd/backend-cpu'),
};

/** Only bundled modules exist in a page: any other specifier is "not found", so loadBackend reports it unavailable. */
export const pageImport: LoadOptions['importModule'] = async (specifier) => {
  const load = MODULES[specifier];
  if (!load) {
    throw Object.assign(new Error(`module "${specifier}" is not bundled into the bench page`), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  return load();
};

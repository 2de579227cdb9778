import { describe, expect, it } from 'vitest';
import { backendPackage, createReferenceBackend, isSoftwareAdapter, listBackends, loadBackend, type Availability, type DistBackend } from '../src/index.js';

function fakeBackend(name: string, availability: Availability): DistBackend & { disposed: boolean } {
  const backend = {
    ...createReferenceBackend(),
    name,
    disposed: false,
    availability: async () => availability,
    dispose: async () => {
      backend.disposed = true;
    },
  };
  return backend;
}

describe('loadBackend', () => {
  it('gives the float64 reference by name, and takes a backend or a module as they are', async () => {
    expect((await loadBackend('reference')).name).toBe('reference');
    const ready = createReferenceBackend();
    expect(await loadBackend(ready)).toBe(ready);
    expect(await loadBackend({ createBackend: () => ready })).toBe(ready);
  });

  it('says which module is missing and what to install', async () => {
    await expect(loadBackend('tfjs-wasm', { importModule: () => Promise.reject(Object.assign(new Error('no'), { code: 'ERR_MODULE_NOT_FOUND' })) })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      hint: 'install it: npm install @dist-kd/backend-tfjs',
    });
    await expect(loadBackend('./not-a-backend.js', { importModule: async () => ({}) })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      reason: expect.stringMatching(/exports no createBackend/),
    });
  });

  it('passes the variant of a known name to the module', async () => {
    let seen: unknown;
    const importModule = async () => ({ createBackend: (config: unknown) => ((seen = config), createReferenceBackend()) });
    await loadBackend('tfjs-ops-cpu', { importModule });
    expect(seen).toEqual({ variant: 'ops-cpu' });
  });

  it('passes no variant for a bare package name, and treats a name no prefix claims as a module specifier', async () => {
    const seen: Array<[string, unknown]> = [];
    const importModule = async (id: string) => ({ createBackend: (config: unknown) => (seen.push([id, config]), createReferenceBackend()) });
    await loadBackend('cpu', { importModule });
    await loadBackend('cpu-float64', { importModule });
    await loadBackend('my-backend', { importModule });
    expect(seen).toEqual([
      ['@dist-kd/backend-cpu', undefined],
      ['@dist-kd/backend-cpu', { variant: 'float64' }],
      ['my-backend', undefined],
    ]);
    expect(backendPackage('tfjs-ops-wasm')).toEqual({ module: '@dist-kd/backend-tfjs', variant: 'ops-wasm' });
    expect(backendPackage('constructor')).toBeUndefined();
  });

  it('auto: takes the first available hardware backend, keeps an emulated GPU only as a last resort', async () => {
    const software = fakeBackend('webgpu', { available: true, software: true });
    const cpu = fakeBackend('cpu', { available: true });
    const modules: Record<string, unknown> = {
      '@dist-kd/backend-webgpu': { createBackend: () => software },
      '@dist-kd/backend-cpu': { createBackend: () => cpu },
    };
    const importModule = async (id: string) => {
      if (id in modules) return modules[id];
      throw Object.assign(new Error(`no ${id}`), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    expect(await loadBackend('auto', { importModule })).toBe(cpu);
    expect(software.disposed).toBe(true);

    const onlySoftware = fakeBackend('webgpu', { available: true, software: true });
    modules['@dist-kd/backend-webgpu'] = { createBackend: () => onlySoftware };
    modules['@dist-kd/backend-cpu'] = { createBackend: () => fakeBackend('cpu', { available: false, reason: 'broken' }) };
    expect(await loadBackend('auto', { importModule })).toBe(onlySoftware);

    delete modules['@dist-kd/backend-webgpu'];
    await expect(loadBackend('auto', { importModule })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      reason: expect.stringMatching(/cpu: broken/),
    });
  });
});

describe('listBackends', () => {
  it('names each installed package by its prefix and each of its VARIANTS as prefix-variant, leaving out missing packages', async () => {
    const modules: Record<string, unknown> = {
      '@dist-kd/backend-cpu': { VARIANTS: ['float64'] },
      '@dist-kd/backend-tfjs': { VARIANTS: ['wasm', 'ops-wasm'] },
    };
    const importModule = async (id: string) => {
      if (id in modules) return modules[id];
      throw Object.assign(new Error(`no ${id}`), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    expect(await listBackends({ importModule })).toEqual(['cpu', 'cpu-float64', 'tfjs', 'tfjs-wasm', 'tfjs-ops-wasm']);
  });

  it('throws when a package is installed but fails to load', async () => {
    const importModule = async () => {
      throw new SyntaxError('Unexpected token');
    };
    await expect(listBackends({ importModule })).rejects.toThrow(/Unexpected token/);
  });
});

describe('isSoftwareAdapter', () => {
  it('tells emulated adapters from hardware ones', () => {
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', device: 'nvidia-h200', isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', device: 'nvidia-h200', description: 'NVIDIA: 580.159.04' })).toBe(false);
    expect(isSoftwareAdapter(undefined, true)).toBe(true);
    expect(isSoftwareAdapter(undefined)).toBe(false);
  });
});

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { layeringViolations, readWorkspace } from '../layering.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('the import rule (CONTRIBUTING.md, Layout)', () => {
  it('holds in this repository', () => {
    const packages = readWorkspace(root);
    expect(packages.map((pkg) => pkg.name)).toContain('@dist-kd/kernel-wasm');
    expect(layeringViolations(packages)).toEqual([]);
  });

  it('catches a backend importing another backend, a kernel importing a framework, and deep imports', () => {
    const problems = layeringViolations([
      { name: '@dist-kd/backend-cpu', dependencies: [['@dist-kd/backend-tfjs', 'dependencies']], imports: [] },
      { name: '@dist-kd/kernel-wasm', dependencies: [], imports: [{ file: 'k.ts', specifier: '@tensorflow/tfjs-core', test: false }] },
      { name: '@dist-kd/conformance', dependencies: [], imports: [{ file: 'c.ts', specifier: '@dist-kd/core/src/input.js', test: false }] },
      { name: '@dist-kd/core', dependencies: [['@dist-kd/kernel-wasm', 'dependencies']], imports: [] },
      { name: '@dist-kd/unknown', dependencies: [], imports: [] },
    ]);
    expect(problems).toEqual([
      '@dist-kd/backend-cpu (backend) depends on @dist-kd/backend-tfjs (backend) in dependencies',
      'k.ts (kernel) imports the framework @tensorflow/tfjs-core: a kernel package has no framework in it',
      'c.ts imports @dist-kd/core/src/input.js: import a package\'s entry points (its manifest\'s exports), never its files',
      '@dist-kd/core (core) depends on @dist-kd/kernel-wasm (kernel) in dependencies',
      expect.stringContaining('@dist-kd/unknown has no layer'),
    ]);
  });

  it('takes the subpaths a manifest exports as entry points', () => {
    const problems = layeringViolations([
      { name: '@dist-kd/conformance', exports: ['.', './leaks'], dependencies: [], imports: [] },
      { name: '@dist-kd/backend-cpu', dependencies: [], imports: [{ file: 't.ts', specifier: '@dist-kd/conformance/leaks', test: true }, { file: 'u.ts', specifier: '@dist-kd/conformance/src/x.js', test: true }] },
    ]);
    expect(problems).toEqual([expect.stringContaining('u.ts imports @dist-kd/conformance/src/x.js')]);
  });

  it('lets a backend test itself with the conformance suite, but not depend on it at run time', () => {
    const asDev = layeringViolations([{ name: '@dist-kd/backend-cpu', dependencies: [['@dist-kd/conformance', 'devDependencies']], imports: [] }]);
    const asRuntime = layeringViolations([{ name: '@dist-kd/backend-cpu', dependencies: [['@dist-kd/conformance', 'dependencies']], imports: [] }]);
    expect(asDev).toEqual([]);
    expect(asRuntime).toHaveLength(1);
  });
});

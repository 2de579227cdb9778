/**
 * The import rule of CONTRIBUTING.md ("Layout"), as data and a checker: each workspace package has a
 * layer, each layer the workspace packages it may import, and kernels and core may import no
 * framework. Read from each package's manifest (dependencies of every kind) and from the import
 * specifiers of its sources, so that neither a dependency nor a stray import slips past.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Layers, lowest first, and whom each may import. */
export const LAYERS = {
  core: { may: [] },
  kernel: { may: ['core'] },
  backend: { may: ['core', 'kernel'] },
  suite: { may: ['core'] },
  app: { may: ['core', 'kernel', 'backend', 'suite'] },
  example: { may: ['core', 'backend'] },
  repo: { may: [] },
};

/** The layer of each workspace package, by name. A package missing here is itself a violation. */
export const PACKAGE_LAYERS = {
  '@dist-kd/core': 'core',
  '@dist-kd/kernel-wasm': 'kernel',
  '@dist-kd/kernel-wgsl': 'kernel',
  '@dist-kd/backend-cpu': 'backend',
  '@dist-kd/backend-tfjs': 'backend',
  '@dist-kd/backend-webgpu': 'backend',
  '@dist-kd/conformance': 'suite',
  '@dist-kd/bench': 'app',
  '@dist-kd/example-mnist': 'example',
  '@dist-kd/repo-checks': 'repo',
};

/** Frameworks a kernel (and core) must not import: kernels live once, below every integration. */
const FRAMEWORKS = [/^@tensorflow\//, /^webgpu$/, /^node:worker_threads$/];
const FRAMEWORK_FREE = new Set(['core', 'kernel']);

/** Tests may use the suite to check themselves (a backend runs conformance in its own tests). */
const TEST_MAY = ['suite'];

/**
 * Violations of the rule in `packages` (name, layer-free manifest, and the import specifiers of its
 * sources and of its tests): a list of sentences, empty when the rule holds.
 */
export function layeringViolations(packages) {
  const problems = [];
  const layerOf = (name) => PACKAGE_LAYERS[name];
  // Entry points are the package itself and the subpaths its manifest exports.
  const entryPoints = new Set(packages.flatMap((pkg) => (pkg.exports ?? ['.']).map((subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, '')}`))));
  for (const pkg of packages) {
    const layer = layerOf(pkg.name);
    if (!layer) {
      problems.push(`${pkg.name} has no layer: add it to PACKAGE_LAYERS in scripts/repo-checks/layering.mjs and to CONTRIBUTING.md`);
      continue;
    }
    const allowed = (target, forTests) => {
      const targetLayer = layerOf(target);
      return targetLayer !== undefined && (LAYERS[layer].may.includes(targetLayer) || (forTests && TEST_MAY.includes(targetLayer)));
    };
    for (const [dependency, kind] of pkg.dependencies) {
      if (!dependency.startsWith('@dist-kd/') || dependency === pkg.name) continue;
      if (!allowed(dependency, kind === 'devDependencies')) {
        problems.push(`${pkg.name} (${layer}) depends on ${dependency} (${layerOf(dependency) ?? 'no layer'}) in ${kind}`);
      }
    }
    for (const { file, specifier, test } of pkg.imports) {
      const target = specifier.startsWith('@dist-kd/') ? specifier.split('/').slice(0, 2).join('/') : undefined;
      if (target && target !== pkg.name) {
        if (!allowed(target, test)) problems.push(`${file} (${layer}) imports ${specifier}`);
        if (specifier !== target && !entryPoints.has(specifier)) {
          problems.push(`${file} imports ${specifier}: import a package's entry points (its manifest's exports), never its files`);
        }
      }
      if (!test && FRAMEWORK_FREE.has(layer) && FRAMEWORKS.some((pattern) => pattern.test(specifier))) {
        problems.push(`${file} (${layer}) imports the framework ${specifier}: a ${layer} package has no framework in it`);
      }
    }
  }
  return problems;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

function sourceFiles(directory) {
  let entries;
  try {
    entries = readdirSync(directory);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(directory, entry);
    if (entry === 'node_modules' || entry === 'dist' || entry === 'generated') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(entry) && !entry.endsWith('.d.ts') ? [path] : [];
  });
}

/** The workspace's packages as `layeringViolations` reads them, from the repository at `root`. */
export function readWorkspace(root) {
  const folders = ['packages', 'apps', 'examples']
    .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name)))
    .concat([join(root, 'scripts', 'repo-checks')]);
  return folders
    .filter((folder) => {
      try {
        return statSync(join(folder, 'package.json')).isFile();
      } catch {
        return false;
      }
    })
    .map((folder) => {
      const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
      const dependencies = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'].flatMap((kind) =>
        Object.keys(manifest[kind] ?? {}).map((name) => [name, kind]),
      );
      const imports = ['src', 'test', 'scripts', 'examples', 'assembly'].flatMap((sub) =>
        sourceFiles(join(folder, sub)).flatMap((file) => {
          // Comments may name a package in an example (`import('webgpu')`): only code counts.
          const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
          const test = sub !== 'src' && sub !== 'assembly' && sub !== 'examples';
          return [...text.matchAll(IMPORT)].map((match) => ({ file: relative(root, file), specifier: match[1] ?? match[2] ?? match[3], test }));
        }),
      );
      const exports = typeof manifest.exports === 'object' && manifest.exports !== null ? Object.keys(manifest.exports) : ['.'];
      return { name: manifest.name, exports, dependencies, imports };
    });
}

#!/usr/bin/env node
/**
 * Checks every published package's manifest (packages/*, not private) against the conventions in
 * CONTRIBUTING.md ("A published package's manifest"), so a new package is held to them the day it
 * lands. Prints one line per problem and exits 1 when there is any. Run by the root `pnpm test`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const REQUIRED_FILES = ['dist', 'README.md', 'LICENSE'];

/** The problems of one manifest; `dir` is its folder relative to the repository root. */
export function manifestProblems(manifest, dir, hasFile) {
  const problems = [];
  const need = (condition, text) => condition || problems.push(text);
  need(/^@dist-kd\/[a-z0-9-]+$/.test(manifest.name ?? ''), `name "${manifest.name}" is not @dist-kd/<name>`);
  need(typeof manifest.description === 'string' && manifest.description.length > 0, 'no description');
  need(manifest.license === 'MIT', `license is ${JSON.stringify(manifest.license)}, not "MIT"`);
  need(hasFile('LICENSE'), 'no LICENSE file beside package.json (copy the root LICENSE)');
  need(manifest.type === 'module', 'not "type": "module"');
  const repository = manifest.repository ?? {};
  need(repository.type === 'git' && typeof repository.url === 'string', 'no repository { type: "git", url }');
  need(repository.directory === dir, `repository.directory is ${JSON.stringify(repository.directory)}, not "${dir}"`);
  need(typeof manifest.homepage === 'string', 'no homepage');
  need(typeof manifest.bugs?.url === 'string', 'no bugs.url');
  need(Array.isArray(manifest.keywords) && manifest.keywords.length > 0, 'no keywords');
  need(typeof manifest.engines?.node === 'string', 'no engines.node');
  for (const file of REQUIRED_FILES) need(manifest.files?.includes(file), `"files" does not include ${file}`);

  const exports = manifest.exports ?? {};
  need(exports['./package.json'] === './package.json', 'exports has no "./package.json"');
  const published = manifest.publishConfig?.exports;
  need(manifest.publishConfig?.access === 'public', 'publishConfig.access is not "public"');
  for (const [subpath, target] of Object.entries(exports)) {
    if (typeof target === 'string') {
      need(published?.[subpath] === target, `publishConfig.exports["${subpath}"] is not "${target}" as in exports`);
      continue;
    }
    need(typeof target.types === 'string' && typeof target.default === 'string', `exports["${subpath}"] lacks types or default`);
    // The `development` condition points at sources for the monorepo's tests; it must not be published.
    const { development, ...rest } = target;
    need(
      JSON.stringify(published?.[subpath]) === JSON.stringify(rest),
      `publishConfig.exports["${subpath}"] is not exports["${subpath}"] without its "development" condition`,
    );
    if (subpath !== '.') {
      const name = subpath.slice(2);
      need(manifest.typesVersions?.['*']?.[name] !== undefined, `no typesVersions for "${subpath}" (moduleResolution "node" cannot find its types)`);
    }
  }
  need(published?.['./package.json'] === './package.json', 'publishConfig.exports has no "./package.json"');
  for (const key of Object.keys(published ?? {})) need(key in exports, `publishConfig.exports["${key}"] is not in exports`);

  // Heavy or environment-specific packages are the user's choice: optional peers, never installed for them.
  need(manifest.optionalDependencies === undefined, 'optionalDependencies are installed by default; make them optional peerDependencies');
  for (const [peer, range] of Object.entries(manifest.peerDependencies ?? {})) {
    need(/^(\^|>=|~)/.test(range), `peer ${peer}@${range} is pinned; give a range (^x.y.z) so a user's version fits`);
  }
  for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
    if (dependency.startsWith('@dist-kd/')) need(range === 'workspace:^', `${dependency} is "${range}", not "workspace:^"`);
    need(!(dependency in (manifest.peerDependencies ?? {})), `${dependency} is both a dependency and a peer`);
  }
  return problems;
}

function main() {
  const problems = [];
  for (const entry of readdirSync(path.join(root, 'packages')).sort()) {
    const dir = `packages/${entry}`;
    const file = path.join(root, dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    if (manifest.private) continue;
    const hasFile = (name) => existsSync(path.join(root, dir, name));
    for (const problem of manifestProblems(manifest, dir, hasFile)) problems.push(`${dir}/package.json: ${problem}`);
  }
  if (problems.length) {
    console.error(`${problems.length} manifest problem(s); see CONTRIBUTING.md, "A published package's manifest":\n${problems.join('\n')}`);
    process.exit(1);
  }
  console.log('manifests: every published package follows the conventions');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();

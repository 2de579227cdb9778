/** Where an installed package lives, and its version, found from its entry point (its `exports` may hide package.json). Node only. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface InstalledPackage {
  readonly root: string;
  readonly version: string;
}

export function findPackage(require: NodeRequire, name: string): InstalledPackage | undefined {
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    return undefined;
  }
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === name) return { root: dir, version: String(manifest.version) };
    } catch {
      // no package.json at this level: keep walking up
    }
  }
  return undefined;
}

/** What a Node process can tell about its machine and the package versions in use. */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { allocatorSettings } from './allocator.js';
import { findPackage } from './package-root.js';
import type { MachineInfo, MemoryUse } from './report.js';

export function nodeMachine(): Omit<MachineInfo, 'gpus'> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() || 'unknown',
    cores: cpus.length,
    memory_bytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    runtime: `node ${process.version}`,
    ...(allocatorSettings() ? { allocator: allocatorSettings() } : {}),
    // os.loadavg() is [0, 0, 0] on Windows, where it means nothing.
    ...(process.platform === 'win32' ? {} : { load_average: os.loadavg().map((l) => Math.round(l * 100) / 100) }),
  };
}

/** Packages whose versions a report names; those not installed are left out. */
const VERSIONED = [
  '@dist-kd/core',
  '@dist-kd/backend-cpu',
  '@dist-kd/backend-tfjs',
  '@dist-kd/backend-webgpu',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node',
  'webgpu',
  'tinybench',
];

/** Resolves packages from `fromDir` (where loadBackend resolves them: the current directory) and from the bench. */
export function nodeVersions(fromDir = process.cwd()): Record<string, string> {
  const versions: Record<string, string> = { node: process.version };
  const requires = [createRequire(path.join(fromDir, 'noop.js')), createRequire(import.meta.url)];
  for (const name of VERSIONED) {
    const version = requires.map((r) => findPackage(r, name)?.version).find((v) => v !== undefined);
    if (version) versions[name] = version;
  }
  return versions;
}

/** Peak RSS (the whole process's, so far) and the JS heap, after a timed case. */
export function nodeMemory(): MemoryUse {
  return { peak_rss_bytes: process.resourceUsage().maxRSS * 1024, js_heap_bytes: process.memoryUsage().heapUsed };
}

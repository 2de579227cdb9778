#!/usr/bin/env node
/**
 * For this repo's tests and CLIs only (the backend never picks a Vulkan driver for its users):
 * if no VK_ICD_FILENAMES / VK_DRIVER_FILES is set and Dawn finds no adapter with the system's
 * drivers, use SwiftShader from Debian's chromium (scripts/setup.sh installs it).
 *
 *   node vulkan-env.mjs <command> [args...]   runs the command with that environment
 *   import { vulkanEnv } from './vulkan-env.mjs'   returns the variables to add ({} if none)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Probes in a child process: the Vulkan loader reads its environment once per process. */
function systemHasAdapter() {
  let webgpu;
  try {
    webgpu = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch {
    return false; // the optional package is missing: the backend will say so itself
  }
  const probe = `import(${JSON.stringify(webgpu)}).then(async ({ create }) => {
    const gpu = create([]);
    const adapter = await gpu.requestAdapter();
    process.exit(adapter ? 0 : 1);
  }, () => process.exit(1));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { stdio: 'ignore', timeout: 60_000 });
  return result.status === 0;
}

export function vulkanEnv(env = process.env) {
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES || !existsSync(SWIFTSHADER_ICD)) return {};
  return systemHasAdapter() ? {} : { VK_ICD_FILENAMES: SWIFTSHADER_ICD };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.error('usage: vulkan-env.mjs <command> [args...]');
    process.exit(2);
  }
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...vulkanEnv() } });
  process.exit(result.status ?? 1);
}

/**
 * Global test setup: Dawn in Node needs a Vulkan driver. Where the system's drivers give no
 * adapter, this repo's tests use SwiftShader from Debian's chromium (see scripts/vulkan-env.mjs).
 * Runs once, before the test workers start, so they inherit the variable.
 */
// @ts-expect-error a plain .mjs script without type declarations
import { vulkanEnv } from '../scripts/vulkan-env.mjs';

export default function setup(): void {
  Object.assign(process.env, (vulkanEnv as () => Record<string, string>)());
}

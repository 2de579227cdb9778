/**
 * How this repository's browser tests and scripts start headless Chromium: Debian's chromium
 * (scripts/setup.sh installs it; CHROMIUM_PATH points elsewhere), with WebGPU enabled (it runs on
 * SwiftShader without a GPU, as WebGL does) and nothing that reaches the network.
 * Pass the result to playwright-core's `chromium.launch` or `launchPersistentContext`.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]);

export function chromiumLaunchOptions() {
  return { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], headless: true };
}

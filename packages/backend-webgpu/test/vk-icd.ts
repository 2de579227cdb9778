/**
 * Test setup: Dawn in Node needs a Vulkan driver. On machines without a GPU this repo uses
 * SwiftShader from Debian's chromium (scripts/setup.sh installs it). The backend itself never picks
 * a driver for the user; only this repo's tests do, and only when the user set none.
 */
import { existsSync } from 'node:fs';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

/**
 * Imported first by the tfjs-webgpu tests: Dawn (the `webgpu` package) needs a Vulkan driver. With
 * none set, they use SwiftShader from Debian's chromium, which CI installs (scripts/setup.sh); a
 * machine with a GPU driver, or VK_ICD_FILENAMES pointing at lavapipe, uses that instead.
 */
import { existsSync } from 'node:fs';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkanDriverSetting = ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES'].some((name) => process.env[name]);
if (!hasVulkanDriverSetting && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

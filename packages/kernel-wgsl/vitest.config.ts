import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Dawn needs a Vulkan driver: the same fallback to SwiftShader as backend-webgpu's tests.
    globalSetup: ['../backend-webgpu/test/vk-icd.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

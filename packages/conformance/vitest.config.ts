import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Whole-suite runs and spawned CLIs take seconds; on a busy CI machine more than vitest's 5 s.
  test: { testTimeout: 60_000 },
});

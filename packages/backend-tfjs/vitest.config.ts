import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The conformance suite's interleaving property (a 15 s budget) and lifecycle checks (calls may
  // take up to 20 s to settle) and the 2,000-call leak tests take seconds; on a busy CI machine more
  // than vitest's 5 s.
  test: { testTimeout: 60_000 },
});

#!/usr/bin/env node
/**
 * The precision tests again on lavapipe (Mesa's Vulkan driver on the CPU), after `vitest run` on
 * SwiftShader: two compilers that rewrite float arithmetic differently. Mesa once folded the
 * compensated sums' carry to zero (session 6's bug, kernels/common.ts `opaque`), which SwiftShader
 * never showed. Needs the driver that scripts/install-lavapipe.sh unpacks into the repository's .gl/
 * (scripts/setup.sh runs it); the tests check that they ran on it.
 *
 *   node scripts/on-lavapipe.mjs [test files...]   (default: test/wide-precision.test.ts)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const icd = fileURLToPath(new URL('../../../.gl/lvp_icd.json', import.meta.url));
if (!existsSync(icd)) {
  console.error(`lavapipe is not installed (no ${icd}): run bash scripts/install-lavapipe.sh from the repository root (scripts/setup.sh does)`);
  process.exit(1);
}
const files = process.argv.slice(2);
const result = spawnSync('pnpm', ['exec', 'vitest', 'run', ...(files.length ? files : ['test/wide-precision.test.ts'])], {
  stdio: 'inherit',
  env: { ...process.env, VK_ICD_FILENAMES: icd, DIST_KD_EXPECT_ADAPTER: 'llvmpipe' },
});
process.exit(result.status ?? 1);

#!/usr/bin/env bash
# Installs the toolchain and the workspace on a fresh machine (Node 20 present). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "12.4.2" ]; then
  npm install -g pnpm@12.4.2
fi
pnpm install --frozen-lockfile

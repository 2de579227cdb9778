#!/usr/bin/env bash
# Installs the toolchain and the workspace on a fresh machine (Node 20 present). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "12.4.2" ]; then
  npm install -g pnpm@12.4.2
fi
pnpm install --frozen-lockfile
# apps/bench page test: headless Debian chromium (WebGPU on its SwiftShader needs libvulkan1), driven by playwright-core.
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libvulkan1
fi

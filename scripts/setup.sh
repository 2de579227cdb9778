#!/usr/bin/env bash
# Installs the toolchain and the workspace on a fresh machine (Node 20 present). Idempotent.
#   bash scripts/setup.sh                  # what the tests need (CI)
#   bash scripts/setup.sh --with-pytorch   # also the bench's PyTorch baseline
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
apt_install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
}

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "12.4.2" ]; then
  npm install -g pnpm@12.4.2
fi
pnpm install --frozen-lockfile

# WebGPU tests: Dawn (the `webgpu` package) needs a Vulkan driver; without a GPU they use SwiftShader
# from Debian's chromium, which also runs the browser tests. Installed only when missing.
if [ ! -x /usr/bin/chromium ] || [ ! -f /usr/lib/chromium/vk_swiftshader_icd.json ] || ! ldconfig -p | grep -q 'libvulkan\.so\.1 '; then
  apt_install chromium libvulkan1
fi

# backend-webgpu's precision tests run again on lavapipe (scripts/install-lavapipe.sh: Mesa 25's
# Vulkan driver on the CPU, unpacked into .gl/, nothing installed), whose compiler rewrites float
# arithmetic as SwiftShader's does not. Unpacked only when missing.
if [ ! -f .gl/lvp_icd.json ]; then
  $SUDO bash scripts/install-lavapipe.sh "$PWD/.gl"
  if [ -n "$SUDO" ]; then $SUDO chown -R "$(id -u):$(id -g)" .gl; fi
fi

# The bench's PyTorch baseline (the design note's code): Debian's python3-torch, only when asked for.
if [ "${1:-}" = "--with-pytorch" ] && ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  apt_install python3-torch
fi

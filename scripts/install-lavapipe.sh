#!/usr/bin/env bash
# Mesa 25's lavapipe (a Vulkan driver on the CPU) for timing WebGPU without a GPU: Debian 12's own
# Mesa 22.3 is too old for Dawn, SwiftShader is slower (ENVIRONMENT.md). Unpacks the
# bookworm-backports mesa-vulkan-drivers package into DIR (default .gl/, ignored by git) without
# installing it, and writes DIR/lvp_icd.json; then run with
#   VK_ICD_FILENAMES=$PWD/.gl/lvp_icd.json pnpm bench ...
set -euo pipefail
dir="$(realpath -m "${1:-.gl}")"
source_file=/etc/apt/sources.list.d/bookworm-backports.sources
if ! apt-cache policy mesa-vulkan-drivers | grep -q bookworm-backports; then
  # The stock source's URIs and key, for the backports suite only: nothing is installed from it.
  cat > "$source_file" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  apt-get update -qq
fi
mkdir -p "$dir"
cd "$dir"
rm -f mesa-vulkan-drivers_*.deb
apt-get download -qq mesa-vulkan-drivers/bookworm-backports
dpkg-deb -x mesa-vulkan-drivers_*.deb "$dir/root"
library="$dir/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
test -f "$library"
printf '{"ICD":{"api_version":"1.4.305","library_path":"%s"},"file_format_version":"1.0.0"}\n' "$library" > "$dir/lvp_icd.json"
echo "lavapipe ready: VK_ICD_FILENAMES=$dir/lvp_icd.json"

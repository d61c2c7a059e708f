#!/usr/bin/env bash
# Builds (or reuses) the arm64 guest kernel Image from Debian's linux-source-6.12 with the symbols
# of kernel.config. The Image is cached outside the repository, keyed by a hash of the config
# and the source tarball, so a rerun on the same machine skips the ~7-minute build.
# Prints the Image's path as its last line.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${VSCMI_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vscmi-e2e}"
tarball=$(ls /usr/src/linux-source-6.12.tar.* | head -1)
key=$( (grep -v '^#' "$here/kernel.config"; stat -c '%s %Y' "$tarball"; echo v1) | sha256sum | cut -c1-16)
image="$cache/kernel-$key/Image"
if [ -f "$image" ]; then
  echo "kernel: reusing $image" >&2
  echo "$image"
  exit 0
fi

build="$cache/build-$key"
rm -rf "$build" && mkdir -p "$build"
echo "kernel: unpacking $tarball" >&2
tar -xf "$tarball" -C "$build" --strip-components=1
cd "$build"
export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
make -s allnoconfig
symbols=$(grep -v '^#' "$here/kernel.config" | tr -s ' \n' ' ')
args=()
for s in $symbols; do args+=(--enable "$s"); done
./scripts/config "${args[@]}"
make -s olddefconfig
# Every requested symbol must have survived olddefconfig (a missing dependency drops it silently).
for s in $symbols; do
  grep -q "^CONFIG_$s=y" .config || { echo "error: CONFIG_$s is not enabled after olddefconfig" >&2; exit 1; }
done
echo "kernel: building Image with $(nproc) jobs (about 7 minutes on 2 cores)" >&2
start=$(date +%s)
make -s -j"$(nproc)" Image >&2
echo "kernel: built in $(( $(date +%s) - start )) s" >&2
mkdir -p "$(dirname "$image")"
cp arch/arm64/boot/Image "$image"
cd / && rm -rf "$build"
echo "$image"

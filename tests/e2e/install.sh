#!/usr/bin/env bash
# Installs what the Linux-guest test needs on a Debian bookworm machine (run as root):
# QEMU >= 8.1 (vhost-user-scmi) and Linux 6.12 sources from bookworm-backports, an arm64 cross
# compiler, kernel build tools, dtc, and busybox-static for arm64 (downloaded, not installed).
# The backports mirror is derived from the machine's own apt sources; no host name is written here.
set -euo pipefail

need_backports=0
command -v qemu-system-aarch64 >/dev/null 2>&1 && qemu-system-aarch64 -device help 2>/dev/null | grep -q vhost-user-scmi-pci || need_backports=1
ls /usr/src/linux-source-6.12.tar.* >/dev/null 2>&1 || need_backports=1

packages=(gcc-aarch64-linux-gnu make bc flex bison libelf-dev libssl-dev cpio xz-utils dwarves device-tree-compiler python3)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

if [ "$need_backports" = 1 ]; then
  if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    mirror=""
    # deb822 sources: the URIs line of the stanza whose Suites include plain "bookworm".
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      mirror=$(awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm([ \n]|$)/ && !/security/ { if (match($0, /URIs:[ ]*[^ \n]+/)) { s=substr($0, RSTART, RLENGTH); sub(/URIs:[ ]*/, "", s); print s; exit } }' "$f")
      [ -n "$mirror" ] && break
    done
    # One-line sources as a fallback.
    if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
      mirror=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list)
    fi
    if [ -z "$mirror" ]; then
      echo "error: cannot find the Debian bookworm mirror in /etc/apt/sources.list*; add bookworm-backports by hand" >&2
      exit 1
    fi
    echo "adding bookworm-backports from $mirror" >&2
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" \
      > /etc/apt/sources.list.d/vscmi-backports.sources
  fi
fi

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  need_update=1
fi

if [ "$need_backports" = 1 ] || [ ${#missing[@]} -gt 0 ] || [ "${need_update:-0}" = 1 ]; then
  apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "$need_backports" = 1 ]; then
  echo "installing qemu-system-arm and linux-source-6.12 from bookworm-backports" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports qemu-system-arm linux-source-6.12 >/dev/null
fi
qemu-system-aarch64 -device help 2>/dev/null | grep -q vhost-user-scmi-pci || { echo "error: this QEMU has no vhost-user-scmi-pci" >&2; exit 1; }

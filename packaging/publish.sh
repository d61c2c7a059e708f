#!/usr/bin/env bash
# Builds the installable vscmi: a self-contained native AOT binary per architecture, and a
# `dotnet tool` package. Output in artifacts/publish/:
#   linux-x64/vscmi      native AOT (gcc is enough)
#   linux-arm64/vscmi    native AOT, cross-compiled with clang-14 and Debian's arm64 cross binutils/libc
#   vscmi.*.nupkg        `dotnet tool install --global --add-source artifacts/publish vscmi`
#
#   packaging/publish.sh               linux-x64 and the tool package (what CI builds)
#   packaging/publish.sh --arm64       also linux-arm64 (installs clang-14 and the cross toolchain
#                                      with apt-get when run as root and they are missing)
#   packaging/publish.sh --only-x64    only the linux-x64 binary
#   packaging/publish.sh --only-arm64  only the linux-arm64 binary (the e2e guest runs it)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/artifacts/publish"
project="$root/src/Vscmi.Cli/Vscmi.Cli.csproj"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

arm64=0
x64=1
tool=1
for arg in "$@"; do
  case "$arg" in
    --arm64) arm64=1 ;;
    --only-x64) tool=0 ;;
    --only-arm64) arm64=1; x64=0; tool=0 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "publish.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

need() { # need COMMAND|pkg:PACKAGE PACKAGE...: installs the Debian packages when the command (or package) is missing and we are root.
  local what="$1"; shift
  case "$what" in
    pkg:*) dpkg -s "${what#pkg:}" >/dev/null 2>&1 && return 0 ;;
    *) command -v "$what" >/dev/null 2>&1 && return 0 ;;
  esac
  if [ "$(id -u)" = 0 ]; then
    echo "publish.sh: installing $*" >&2
    apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
  else
    echo "publish.sh: '${what#pkg:}' is missing; install $* (as root: apt-get install $*)" >&2
    return 1
  fi
}

# One publish; fails on any warning (trimming and AOT warnings included: the daemon must stay clean).
publish() { # publish RID [extra msbuild properties...]
  local rid="$1"; shift
  local log
  echo "publish.sh: native AOT for $rid..." >&2
  log=$(dotnet publish "$project" -c Release -r "$rid" -p:PublishAot=true -p:StripSymbols=true \
        -p:IsAotCompatible=true -o "$out/$rid" -nologo "$@" 2>&1) || { echo "$log" >&2; echo "publish.sh: $rid failed" >&2; exit 1; }
  if grep -q ': warning ' <<<"$log"; then
    grep ': warning ' <<<"$log" | sort -u >&2
    echo "publish.sh: $rid published with warnings; none are allowed" >&2
    exit 1
  fi
  rm -f "$out/$rid"/*.dbg "$out/$rid"/*.pdb
  # publish may copy an unchanged binary with its old time; callers compare it with the sources.
  touch "$out/$rid/vscmi"
  echo "publish.sh: $out/$rid/vscmi ($(du -h "$out/$rid/vscmi" | cut -f1))" >&2
}

if [ "$x64" = 1 ]; then
  need gcc gcc libc6-dev
  need pkg:libc6-dev libc6-dev
  publish linux-x64
fi

if [ "$arm64" = 1 ]; then
  # gcc cannot target another architecture here; clang can (--target), and finds Debian's arm64
  # cross libc by itself (a --sysroot would make ld look for /usr/aarch64-linux-gnu twice over).
  need clang-14 clang-14
  need aarch64-linux-gnu-objcopy binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu
  need pkg:libc6-dev-arm64-cross libc6-dev-arm64-cross
  publish linux-arm64 -p:CppCompilerAndLinker=clang-14 -p:ObjCopyName=aarch64-linux-gnu-objcopy
fi

if [ "$tool" = 1 ]; then
  echo "publish.sh: dotnet tool package..." >&2
  log=$(dotnet pack "$project" -c Release -o "$out" -nologo 2>&1) \
    || { echo "$log" >&2; echo "publish.sh: tool package failed" >&2; exit 1; }
  ls "$out"/vscmi.*.nupkg >&2
fi

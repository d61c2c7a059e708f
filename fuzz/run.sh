#!/usr/bin/env bash
# Coverage-guided fuzzing of one target with AFL++ through SharpFuzz (STACK: SharpFuzz 2.3.0 +
# Debian's afl++). Installs both if missing (afl++ needs root), builds the fuzz project,
# instruments our assemblies only, and runs afl-fuzz from the seed corpus.
#   fuzz/run.sh TARGET [SECONDS]     targets: scmi-message platform virtqueue model vhost-user device-ops
#                                  differential state-file state-body scenario trace-file control
# Findings land in fuzz/findings/TARGET/default/crashes; replay one with
#   dotnet fuzz/Vscmi.Fuzz/bin/Release/net10.0/Vscmi.Fuzz.dll TARGET --replay FILE
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
seconds=${2:-600}
cd "$root"

command -v afl-fuzz >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq afl++ >/dev/null; }
tools="$root/fuzz/.tools"
[ -x "$tools/sharpfuzz" ] || dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0 >/dev/null

out="$root/fuzz/bin"
dotnet build fuzz/Vscmi.Fuzz -c Release -o "$out" -v quiet >/dev/null
for assembly in Vscmi.Protocol Vscmi.Platform Vscmi.Virtio Vscmi.VhostUser vscmi; do
  "$tools/sharpfuzz" "$out/$assembly.dll" >/dev/null
done

mkdir -p "fuzz/findings/$target"
# dotnet itself is not instrumented; SharpFuzz instruments our IL and reports through the shared map.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
exec afl-fuzz -V "$seconds" -t 10000 -m none -i "fuzz/corpus/$target" -o "fuzz/findings/$target" \
  -- dotnet "$out/Vscmi.Fuzz.dll" "$target"

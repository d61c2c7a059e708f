#!/usr/bin/env bash
# A fuzzing campaign: each named target in turn under AFL++ for SECONDS (fuzz/run.sh), then one
# line of figures per target from AFL's fuzzer_stats, appended to fuzz/findings/campaign.tsv:
#   date  target  seconds  execs  execs/s  corpus(paths)  edges%  crashes  hangs  commit
# Every crash or hang is copied into the target's seed corpus as crash-TARGET-N / hang-TARGET-N,
# so CI replays it from then on (tests/Vscmi.Integration.Tests/FuzzTargetTests.cs); a campaign
# that found one exits 1 and says where it is.
#   fuzz/campaign.sh SECONDS [TARGET...]     default: every target in fuzz/run.sh
# Two campaigns may run at once only from two clones (each builds into its own fuzz/bin).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=${1:?usage: fuzz/campaign.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(scmi-message platform virtqueue model vhost-user device-ops differential state-file state-body scenario trace-file control)
cd "$root"

table="$root/fuzz/findings/campaign.tsv"
mkdir -p "$root/fuzz/findings"
[ -f "$table" ] || printf 'date\ttarget\tseconds\texecs\texecs_per_s\tcorpus\tedges\tcrashes\thangs\tcommit\n' >"$table"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

# AFL names its counters differently across releases (2.x paths_total/unique_crashes, 4.x
# corpus_count/saved_crashes); read whichever is there.
stat() { awk -F' *: *' -v a="$2" -v b="${3:-$2}" '$1 == a || $1 == b { print $2; exit }' "$1"; }

found=0
for target in "${targets[@]}"; do
  echo "== $target: ${seconds} s from $(date -u +%H:%M:%S) ==" >&2
  rm -rf "fuzz/findings/$target"
  # afl-fuzz exits 0 when -V's time is up; a failure to start is fatal for this target only.
  if ! AFL_NO_AFFINITY=1 "$root/fuzz/run.sh" "$target" "$seconds" >"fuzz/findings/$target.log" 2>&1; then
    echo "$target: afl-fuzz failed; see fuzz/findings/$target.log" >&2
    tail -20 "fuzz/findings/$target.log" >&2
    found=1
    continue
  fi
  stats="fuzz/findings/$target/default/fuzzer_stats"
  execs=$(stat "$stats" execs_done)
  rate=$(stat "$stats" execs_per_sec)
  paths=$(stat "$stats" corpus_count paths_total)
  edges=$(stat "$stats" bitmap_cvg)
  crashes=$(stat "$stats" saved_crashes unique_crashes)
  hangs=$(stat "$stats" saved_hangs unique_hangs)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$target" "$seconds" "$execs" "$rate" "$paths" "$edges" "$crashes" "$hangs" "$commit" >>"$table"
  echo "$target: $execs executions ($rate/s), $paths paths, $edges of the map, $crashes crashes, $hangs hangs" >&2
  for kind in crash hang; do
    n=0
    for input in "fuzz/findings/$target/default/${kind}es"/id:* "fuzz/findings/$target/default/${kind}s"/id:*; do
      [ -f "$input" ] || continue
      n=$((n + 1))
      cp "$input" "fuzz/corpus/$target/$kind-$target-$commit-$n"
      found=1
    done
  done
done
column -t -s $'\t' "$table" >&2
[ "$found" = 0 ] || echo "findings were copied into fuzz/corpus/TARGET/ (crash-* and hang-*); replay with: dotnet fuzz/bin/Vscmi.Fuzz.dll TARGET --replay FILE" >&2
exit "$found"

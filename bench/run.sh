#!/usr/bin/env bash
# Measures vscmi in one sitting and writes the results into docs/performance.md (between the
# "run.sh" markers), with the date, the machine and the ratios against issue 18's targets:
#   - the wake-up floor: two processes ping-ponging through eventfds (bench/c/pingpong.c, gcc);
#   - vscmi bench over vhost-user, a Unix stream socket and in-process, at 1 and 64 in flight,
#     PROTOCOL_VERSION and SENSOR_READING_GET, each with the daemon's CPU time per message (its
#     threads' schedstat before and after: stable where throughput on these shared machines is not);
#   - with --micro, the BenchmarkDotNet micro-benchmarks too (several minutes more).
# Usage: bench/run.sh [--seconds N] [--micro] [--no-write]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=5 micro=0 write=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --micro) micro=1; shift ;;
    --no-write) write=0; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
say() { echo "bench: $*" >&2; }

if ! command -v gcc >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "bench/run.sh: gcc is missing (apt-get install gcc as root)" >&2; exit 1; }
  say "installing gcc"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc >/dev/null
fi

work=$(mktemp -d /tmp/vscmi-bench.XXXXXX)
daemon_pid=""
cleanup() { [ -n "$daemon_pid" ] && kill -TERM "$daemon_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# The product is the native binary: published again when a source is newer (as tests/e2e does).
vscmi="$root/artifacts/publish/linux-x64/vscmi"
stale=$( [ -x "$vscmi" ] && find "$root/src" "$root/Directory.Build.props" "$root/Directory.Packages.props" -newer "$vscmi" \
  \( -name '*.cs' -o -name '*.csproj' -o -name '*.toml' -o -name '*.props' \) -print -quit 2>/dev/null || echo missing)
if [ -n "$stale" ]; then
  say "the native binary is older than the sources: packaging/publish.sh --only-x64"
  bash "$root/packaging/publish.sh" --only-x64 >&2 && touch "$vscmi" || { say "publishing failed: using ./vscmi (JIT)"; vscmi="$root/vscmi"; }
fi

say "the eventfd ping-pong floor (bench/c/pingpong.c)"
gcc -O2 -Wall -Wextra -o "$work/pingpong" "$root/bench/c/pingpong.c"
"$work/pingpong" 200000 > "$work/floor.json"

say "vscmi serve (vhost-user, Unix socket, control)"
"$vscmi" serve --vhost-user "guest=$work/vm.sock" --socket "OSPM=$work/ospm.sock" --control "$work/control.sock" > "$work/serve.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do [ -S "$work/control.sock" ] && break; sleep 0.1; done
[ -S "$work/control.sock" ] || { cat "$work/serve.log" >&2; echo "bench/run.sh: vscmi serve did not start" >&2; exit 1; }

for command in BASE:PROTOCOL_VERSION SENSOR_READING_GET; do
  for inflight in 1 64; do
    for transport in "vhost-user:$work/vm.sock" "unix:$work/ospm.sock" inproc; do
      name="${transport%%:*}_${command#BASE:}_$inflight"
      say "$name (${seconds} s)"
      cpu=(--control "$work/control.sock")
      [ "$transport" = inproc ] && cpu=()
      "$vscmi" bench --connect "$transport" --command "$command" --inflight "$inflight" --duration "$seconds" --json "${cpu[@]}" \
        > "$work/$name.json" 2> "$work/$name.err" || say "$name failed: $(tail -1 "$work/$name.err")"
    done
  done
done

say "64 VMs on the daemon, 1,000 commands/s each (${seconds} s)"
"$vscmi" bench --vms 64 --rate 1000 --duration "$seconds" --json --control "$work/control.sock" > "$work/vms.json" 2> "$work/vms.err" \
  || say "64 VMs failed: $(tail -1 "$work/vms.err")"
say "SENSOR_UPDATE fanned out to 64 VMs at 100 Hz (${seconds} s)"
"$vscmi" bench --vms 64 --fanout-hz 100 --duration "$seconds" --json --control "$work/control.sock" > "$work/fanout.json" 2> "$work/fanout.err" \
  || say "fan-out failed: $(tail -1 "$work/fanout.err")"

if [ "$micro" = 1 ]; then
  say "BenchmarkDotNet micro-benchmarks (several minutes)"
  (cd "$root" && dotnet run -c Release --project bench/Vscmi.Bench -- --filter '*' --job short --exporters markdown) > "$work/micro.log" 2>&1 || true
fi

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -r), $("$vscmi" --version 2>/dev/null | head -1)"
python3 - "$work" "$root/docs/performance.md" "$write" "$machine" "$(basename "$vscmi")" <<'PY'
import datetime, json, pathlib, re, sys
work, doc, write, machine, binary = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3] == "1", sys.argv[4], sys.argv[5]

def load(name):
    path = work / f"{name}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None

floor = json.loads((work / "floor.json").read_text())
rows, results = [], {}
for command in ("PROTOCOL_VERSION", "SENSOR_READING_GET"):
    for inflight in (1, 64):
        for transport in ("vhost-user", "unix", "inproc"):
            r = load(f"{transport}_{command}_{inflight}")
            results[(transport, command, inflight)] = r
            if r is None:
                rows.append(f"| {transport} | {command} | {inflight} | failed | | | | |")
                continue
            cpu = r.get("daemon_cpu_ns_per_message")
            cpu_text = "-" if cpu is None else f"{cpu:,.0f} ns" + (" (whole process)" if transport == "inproc" else "")
            rows.append(f"| {transport} | {command} | {inflight} | {r['messages_per_second']:,.0f} | {r['p50_us']:.1f} µs | {r['p99_us']:.1f} µs | {r['p999_us']:.1f} µs | {cpu_text} |")

def get(t, c, n, key):
    r = results.get((t, c, n))
    return None if r is None else r.get(key)

verdicts = []
cpu = [get("vhost-user", c, 64, "daemon_cpu_ns_per_message") for c in ("PROTOCOL_VERSION", "SENSOR_READING_GET")]
if all(v is not None for v in cpu):
    worst = max(cpu)
    verdicts.append(f"| vhost-user, 64 in flight: daemon CPU per message (PROTOCOL_VERSION, SENSOR_READING_GET) | {cpu[0]:,.0f} ns, {cpu[1]:,.0f} ns | ≤ 150 ns | {'met' if worst <= 150 else 'not met'} |")
p50 = get("vhost-user", "PROTOCOL_VERSION", 1, "p50_us")
p99 = get("vhost-user", "PROTOCOL_VERSION", 1, "p99_us")
if p50 is not None:
    r50, r99 = p50 / floor["p50_us"], p99 / floor["p99_us"]
    verdicts.append(f"| vhost-user, 1 in flight: p50 and p99 round trip against the eventfd floor ({floor['p50_us']:.1f} µs, {floor['p99_us']:.1f} µs) | {r50:.2f}×, {r99:.2f}× | ≤ 1.05×, ≤ 1.2× | {'met' if r50 <= 1.05 and r99 <= 1.2 else 'not met'} |")
s64 = get("unix", "PROTOCOL_VERSION", 64, "messages_per_second")
v64 = get("vhost-user", "PROTOCOL_VERSION", 64, "messages_per_second")
if s64 and v64:
    verdicts.append(f"| Unix stream socket, 64 in flight: messages/s against vhost-user's | {s64 / v64:.2f}× | ≥ 0.6× | {'met' if s64 / v64 >= 0.6 else 'not met'} |")
vms = load("vms")
if vms:
    ok = vms["p99_us"] <= 200 and (vms.get("daemon_rss_kib_per_vm") or 0) <= 1024 and (vms.get("daemon_cpu_percent_of_core") or 0) <= 25
    verdicts.append(f"| 64 VMs on one daemon, each at 1,000 commands/s ({vms['messages_per_second']:,.0f} msg/s reached; vscmi's C# frontend drives all 64 on the same 2 cores) | p99 {vms['p99_us']:.0f} µs, {vms.get('daemon_rss_kib_per_vm')} KiB per VM, {vms.get('daemon_cpu_percent_of_core')}% of a core ({vms.get('daemon_cpu_ns_per_message')} ns/msg) | p99 ≤ 200 µs, ≤ 1 MB per VM, ≤ 25% of a core | {'met' if ok else 'not met'} |")
else:
    verdicts.append("| 64 VMs on one daemon, each at 1,000 commands/s | failed (see the run's log) | p99 ≤ 200 µs, ≤ 1 MB per VM, ≤ 25% of a core | not met |")
fan = load("fanout")
if fan:
    ok = fan["lost"] == 0 and (fan.get("daemon_cpu_percent_of_core") or 0) <= 10
    verdicts.append(f"| SENSOR_UPDATE fanned out to 64 VMs at 100 Hz | {fan.get('daemon_cpu_percent_of_core')}% of a core; {fan['lost']} lost (each VM got {fan['received_min']}..{fan['received_max']} of {fan['sent_per_vm']}) | ≤ 10% of a core, no event lost | {'met' if ok else 'not met'} |")
else:
    verdicts.append("| SENSOR_UPDATE fanned out to 64 VMs at 100 Hz | failed (see the run's log) | ≤ 10% of a core, no event lost | not met |")

text = f"""<!-- run.sh begin: written by bench/run.sh; edits between these markers are overwritten -->
## One sitting: `bench/run.sh` ({datetime.date.today().isoformat()})

Machine: {machine}; daemon: `{binary}`. Each row is one `vscmi bench` run; the daemon's CPU per
message is the time its threads ran (schedstat) divided by the messages, so it does not depend on
how fast the load generator is. The floor is two processes ping-ponging through eventfds
(`bench/c/pingpong.c`): {floor['round_trips_per_second']:,.0f} round trips/s, p50 {floor['p50_us']:.1f} µs, p99 {floor['p99_us']:.1f} µs.

| Transport | Command | In flight | Messages/s | p50 | p99 | p99.9 | Daemon CPU/msg |
|---|---|---:|---:|---:|---:|---:|---:|
""" + "\n".join(rows) + """

Against issue 18's targets:

| What | Measured | Target | |
|---|---|---|---|
""" + "\n".join(verdicts) + "\n<!-- run.sh end -->\n"
print(text)
if write:
    current = doc.read_text()
    if "<!-- run.sh begin" in current:
        current = re.sub(r"<!-- run.sh begin.*?<!-- run.sh end -->\n", lambda _: text, current, flags=re.S)
    else:
        current = current.rstrip("\n") + "\n\n" + text
    doc.write_text(current)
    print(f"bench: wrote {doc}", file=sys.stderr)
PY

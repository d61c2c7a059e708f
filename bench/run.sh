#!/usr/bin/env bash
# Measures vscmi in one sitting and writes the results into docs/performance.md (between the
# "run.sh" markers), with the date, the machine and the ratios against issue 18's targets:
#   - the wake-up floor: two processes ping-ponging through eventfds (bench/c/pingpong.c, gcc);
#   - the C driver (bench/c/vhu-load.c: vhost-user frontend + virtio driver, or stream agent) and
#     vscmi bench over vhost-user, a Unix stream socket and in-process, at 1 and 64 in flight,
#     PROTOCOL_VERSION and SENSOR_READING_GET, each with the daemon's CPU time per message (its
#     threads' schedstat before and after: stable where throughput on these shared machines is not);
#   - 1, 2, 8 and 64 VMs added at run time, closed loop, with the platform lock's waits; 64 VMs
#     at 1,000 commands/s each; SENSOR_UPDATE fanned out to 64 VMs at 100 Hz;
#   - a perf profile of the daemon at 64 in flight (when perf can sample here);
#   - the BenchmarkDotNet micro-benchmarks (several minutes; --no-micro leaves them out).
# Usage: bench/run.sh [--seconds N] [--no-micro] [--no-write]     (about 4 minutes, 10 with micro)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=5 micro=1 write=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --micro) micro=1; shift ;;
    --no-micro) micro=0; shift ;;
    --no-write) write=0; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
say() { echo "bench: $*" >&2; }

if ! command -v gcc >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "bench/run.sh: gcc is missing (apt-get install gcc as root)" >&2; exit 1; }
  say "installing gcc"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc >/dev/null
fi

if ! command -v perf >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  say "installing perf (linux-perf) for the profile; without it the profile is left out"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null 2>&1 || say "linux-perf did not install: no profile"
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

say "the eventfd ping-pong floor (bench/c/pingpong.c) and the C driver (bench/c/vhu-load.c)"
gcc -O2 -Wall -Wextra -o "$work/pingpong" "$root/bench/c/pingpong.c"
gcc -O2 -Wall -Wextra -o "$work/vhu-load" "$root/bench/c/vhu-load.c"
"$work/pingpong" 200000 > "$work/floor.json"

say "vscmi serve (vhost-user, Unix socket, control)"
# The default model with every agent's command rate lifted (commands_per_second = 0): the benchmark
# drives a million commands a second through one agent, far over the 100,000/s a guest gets by default.
"$vscmi" config show | awk '{ print } /^\[\[agent\]\]/ { print "commands_per_second = 0" }' > "$work/model.toml"
printf 'commands_per_second = 0\n' > "$work/unlimited-view.toml"
"$vscmi" serve --config "$work/model.toml" --vhost-user "guest=$work/vm.sock" --socket "OSPM=$work/ospm.sock" --control "$work/control.sock" > "$work/serve.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do [ -S "$work/control.sock" ] && break; sleep 0.1; done
[ -S "$work/control.sock" ] || { cat "$work/serve.log" >&2; echo "bench/run.sh: vscmi serve did not start" >&2; exit 1; }
ctl() { "$vscmi" ctl --control "$work/control.sock" "$@"; }
contentions() { ctl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lock_contentions"])'; }

# Each case: the C driver (next to nothing on the driver's side), then vscmi's own client stack.
for command in version sensor; do
  scmi=BASE:PROTOCOL_VERSION; [ "$command" = sensor ] && scmi=SENSOR_READING_GET
  for inflight in 1 64; do
    say "C driver: vhost-user and unix, $command, $inflight in flight (${seconds} s each)"
    "$work/vhu-load" --command "$command" --inflight "$inflight" --seconds "$seconds" --daemon-pid "$daemon_pid" "$work/vm.sock" \
      > "$work/c-vhost-user_${command}_$inflight.json" 2> "$work/c-vhost-user_${command}_$inflight.err" || say "failed: $(tail -1 "$work/c-vhost-user_${command}_$inflight.err")"
    "$work/vhu-load" --stream --command "$command" --inflight "$inflight" --seconds "$seconds" --daemon-pid "$daemon_pid" "$work/ospm.sock" \
      > "$work/c-unix_${command}_$inflight.json" 2> "$work/c-unix_${command}_$inflight.err" || say "failed: $(tail -1 "$work/c-unix_${command}_$inflight.err")"
    for transport in "vhost-user:$work/vm.sock" "unix:$work/ospm.sock" inproc; do
      name="${transport%%:*}_${command}_$inflight"
      say "vscmi bench: $name (${seconds} s)"
      cpu=(--daemon-pid "$daemon_pid")
      [ "$transport" = inproc ] && cpu=()
      "$vscmi" bench --connect "$transport" --command "$scmi" --inflight "$inflight" --duration "$seconds" --json "${cpu[@]}" \
        > "$work/$name.json" 2> "$work/$name.err" || say "$name failed: $(tail -1 "$work/$name.err")"
    done
  done
done

# VMs added at run time (as a VM manager would), driven together by the C driver: closed loop
# with 8 in flight each at 1, 2, 8 and 64 VMs (does the platform's lock serialise them?), then
# the 64 at 1,000 commands/s each.
for k in $(seq 1 64); do
  ctl vm add "scale-vm$k" --vhost-user "$work/scale-$k.sock" --view "$work/unlimited-view.toml" > /dev/null
done
for n in 1 2 8 64; do
  say "$n VMs, 8 in flight each (${seconds} s)"
  before=$(contentions)
  "$work/vhu-load" --vms "$n" --inflight 8 --command sensor --seconds "$seconds" --daemon-pid "$daemon_pid" "$work/scale-%d.sock" \
    > "$work/scale_$n.json" 2> "$work/scale_$n.err" || say "failed: $(tail -1 "$work/scale_$n.err")"
  echo "{\"lock_contentions\": $(( $(contentions) - before ))}" > "$work/scale_${n}_lock.json"
done
say "64 VMs, 1,000 commands/s each (${seconds} s)"
before=$(contentions)
"$work/vhu-load" --vms 64 --rate 1000 --command sensor --seconds "$seconds" --daemon-pid "$daemon_pid" "$work/scale-%d.sock" \
  > "$work/vms.json" 2> "$work/vms.err" || say "64 VMs failed: $(tail -1 "$work/vms.err")"
echo "{\"lock_contentions\": $(( $(contentions) - before ))}" > "$work/vms_lock.json"
for k in $(seq 1 64); do ctl vm remove "scale-vm$k" > /dev/null || true; done

say "SENSOR_UPDATE fanned out to 64 VMs at 100 Hz (${seconds} s; vscmi's frontend posts the eventq buffers)"
"$vscmi" bench --vms 64 --fanout-hz 100 --duration "$seconds" --json --control "$work/control.sock" > "$work/fanout.json" 2> "$work/fanout.err" \
  || say "fan-out failed: $(tail -1 "$work/fanout.err")"

# Where the daemon's time goes at 64 in flight over vhost-user (perf, when it can sample here).
if command -v perf >/dev/null 2>&1; then
  say "profile: perf record on the daemon during a vhost-user run at 64 in flight"
  "$work/vhu-load" --inflight 64 --seconds $(( seconds + 2 )) "$work/vm.sock" > /dev/null 2>&1 &
  load=$!
  sleep 1
  perf record -q -e cpu-clock -F 2000 -p "$daemon_pid" -o "$work/perf.data" -- sleep "$seconds" > /dev/null 2>&1 || true
  wait "$load" || true
  [ -s "$work/perf.data" ] && perf report -i "$work/perf.data" --no-children --sort dso,sym -q -g none 2>/dev/null > "$work/perf.txt" || true
  perf report -i "$work/perf.data" --children --sort sym -q -g none 2>/dev/null > "$work/perf-children.txt" || true
fi

if [ "$micro" = 1 ]; then
  say "BenchmarkDotNet micro-benchmarks (several minutes)"
  (cd "$root" && dotnet run -c Release --project bench/Vscmi.Bench -- --filter '*' --job short --exporters github --artifacts "$work/bdn") > "$work/micro.log" 2>&1 \
    || say "micro-benchmarks failed: $(tail -1 "$work/micro.log")"
fi

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -r), $("$vscmi" --version 2>/dev/null | head -1)"
symbols="$root/src/Vscmi.Cli/bin/Release/net10.0/linux-x64/native/vscmi.dbg"
python3 - "$work" "$root/docs/performance.md" "$write" "$machine" "$(basename "$vscmi")" "$symbols" <<'PY'
import bisect, collections, datetime, json, pathlib, re, subprocess, sys
work, doc, write, machine, binary, symbols = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3] == "1", sys.argv[4], sys.argv[5], pathlib.Path(sys.argv[6])

def load(name):
    try:
        return json.loads((work / f"{name}.json").read_text())
    except (OSError, ValueError):
        return None

def us(v):
    return f"{v:,.1f} µs" if v < 1000 else f"{v / 1000:,.2f} ms"

floor = json.loads((work / "floor.json").read_text())
drivers = [("c-vhost-user", "vhost-user", "C driver"), ("c-unix", "Unix socket", "C driver"),
           ("vhost-user", "vhost-user", "vscmi frontend"), ("unix", "Unix socket", "vscmi client"), ("inproc", "in-process", "vscmi client")]
rows, results = [], {}
for command in ("version", "sensor"):
    for inflight in (1, 64):
        for key, transport, driver in drivers:
            r = results[(key, command, inflight)] = load(f"{key}_{command}_{inflight}")
            name = "PROTOCOL_VERSION" if command == "version" else "SENSOR_READING_GET"
            if r is None:
                rows.append(f"| {transport} | {driver} | {name} | {inflight} | failed | | | | |")
                continue
            cpu = r.get("daemon_cpu_ns_per_message")
            cpu_text = "-" if cpu is None else f"{cpu:,.0f} ns" + (" (whole process)" if key == "inproc" else "")
            rows.append(f"| {transport} | {driver} | {name} | {inflight} | {r['messages_per_second']:,.0f} | {us(r['p50_us'])} | {us(r['p99_us'])} | {us(r['p999_us'])} | {cpu_text} |")

def get(key, command, inflight, field):
    r = results.get((key, command, inflight))
    return None if r is None else r.get(field)

verdicts = []
cpu = [get("c-vhost-user", c, 64, "daemon_cpu_ns_per_message") for c in ("version", "sensor")]
if all(v is not None for v in cpu):
    verdicts.append(f"| vhost-user, 64 in flight (C driver): daemon CPU per message, PROTOCOL_VERSION and SENSOR_READING_GET | {cpu[0]:,.0f} ns, {cpu[1]:,.0f} ns | ≤ 150 ns | {'met' if max(cpu) <= 150 else 'not met'} |")
p50, p99 = get("c-vhost-user", "version", 1, "p50_us"), get("c-vhost-user", "version", 1, "p99_us")
if p50 is not None:
    r50, r99 = p50 / floor["p50_us"], p99 / floor["p99_us"]
    verdicts.append(f"| vhost-user, 1 in flight (C driver): p50 and p99 against the eventfd floor ({floor['p50_us']:.1f} µs, {floor['p99_us']:.1f} µs) | {r50:.2f}×, {r99:.2f}× | ≤ 1.05×, ≤ 1.2× | {'met' if r50 <= 1.05 and r99 <= 1.2 else 'not met'} |")
s64, v64 = get("c-unix", "version", 64, "messages_per_second"), get("c-vhost-user", "version", 64, "messages_per_second")
s64b, v64b = get("unix", "version", 64, "messages_per_second"), get("vhost-user", "version", 64, "messages_per_second")
if s64 and v64:
    same = f"; with vscmi's own client on both, {s64b / v64b:.2f}×" if s64b and v64b else ""
    verdicts.append(f"| Unix stream socket against vhost-user, 64 in flight, messages/s (the same C driver on both) | {s64 / v64:.2f}×{same} | ≥ 0.6× | {'met' if s64 / v64 >= 0.6 else 'not met'} |")
vms, vms_lock = load("vms"), load("vms_lock") or {}
if vms:
    ok = vms["p99_us"] <= 200 and 0 <= (vms.get("daemon_rss_kib_per_vm") or 0) <= 1024 and (vms.get("daemon_cpu_percent_of_core") or 0) <= 25 and vms["errors"] == 0
    verdicts.append(f"| 64 VMs, each at 1,000 commands/s (C driver; {vms['messages_per_second']:,.0f} msg/s reached, {vms['errors']} wrong replies, {vms_lock.get('lock_contentions', '?')} lock waits) | p99 {us(vms['p99_us'])}, {vms.get('daemon_rss_kib_per_vm')} KiB per VM, {vms.get('daemon_cpu_percent_of_core')}% of a core ({vms.get('daemon_cpu_ns_per_message', 0):,.0f} ns/msg) | p99 ≤ 200 µs, ≤ 1 MB per VM, ≤ 25% of a core | {'met' if ok else 'not met'} |")
else:
    verdicts.append("| 64 VMs, each at 1,000 commands/s | failed (see the run's log) | p99 ≤ 200 µs, ≤ 1 MB per VM, ≤ 25% of a core | not met |")
fan = load("fanout")
if fan:
    ok = fan["lost"] == 0 and (fan.get("daemon_cpu_percent_of_core") or 0) <= 10
    verdicts.append(f"| SENSOR_UPDATE fanned out to 64 VMs at 100 Hz | {fan.get('daemon_cpu_percent_of_core')}% of a core; {fan['lost']} lost (each VM got {fan['received_min']}..{fan['received_max']} of {fan['sent_per_vm']}) | ≤ 10% of a core, no event lost | {'met' if ok else 'not met'} |")
else:
    verdicts.append("| SENSOR_UPDATE fanned out to 64 VMs at 100 Hz | failed (see the run's log) | ≤ 10% of a core, no event lost | not met |")

scaling = []
for n in (1, 2, 8, 64):
    r, lock = load(f"scale_{n}"), load(f"scale_{n}_lock") or {}
    if r is None:
        scaling.append(f"| {n} | failed | | | | |")
        continue
    waits = lock.get("lock_contentions")
    per = f"{1000 * waits / r['messages']:.2f}" if isinstance(waits, int) and r["messages"] else "?"
    scaling.append(f"| {n} | {r['messages_per_second']:,.0f} | {us(r['p50_us'])} | {us(r['p99_us'])} | {r.get('daemon_cpu_ns_per_message', 0):,.0f} ns | {per} |")

# The profile: the kernel's share and the daemon's hottest own functions (symbols from the
# unstripped build next to the published binary: the same build when publish.sh made both).
profile = []
perf = work / "perf.txt"
if perf.exists() and perf.stat().st_size > 0:
    shares = collections.Counter()
    names = None
    if symbols.exists():
        try:
            out = subprocess.run(["nm", "-n", "--defined-only", str(symbols)], capture_output=True, text=True, check=True).stdout
            table = sorted((int(p[0], 16), p[2]) for p in (l.split(None, 2) for l in out.splitlines()) if len(p) == 3)
            names = ([a for a, _ in table], [n for _, n in table])
        except (OSError, subprocess.CalledProcessError, ValueError):
            names = None
    kernel = user = 0.0
    for line in perf.read_text().splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)", line)
        if not m:
            continue
        share, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4).strip()
        if kind == "k":
            kernel += share
            continue
        user += share
        if dso == "vscmi" and sym.startswith("0x") and names:
            i = bisect.bisect_right(names[0], int(sym, 16)) - 1
            sym = names[1][i] if i >= 0 else sym
        sym = re.sub(r"^(S_P_CoreLib_|Vscmi_[A-Za-z]+_)", "", sym)
        shares[sym[:90]] += share
    top = ", ".join(f"`{n}` {p:.1f}%" for n, p in shares.most_common(8))
    children = (work / "perf-children.txt").read_text() if (work / "perf-children.txt").exists() else ""
    def child(symbol):
        m = re.search(r"([\d.]+)%\s+[\d.]+%\s+\[k\]\s+" + re.escape(symbol) + r"\s*$", children, re.M)
        return float(m.group(1)) if m else None
    sleep, wake = child("schedule"), child("eventfd_write")
    profile.append(f"Profile of the daemon at 64 in flight over vhost-user (perf, cpu-clock): kernel {kernel:.0f}%, user {user:.0f}%"
                   + (f"; {sleep:.0f}% of all samples under schedule() (sleeping and waking in epoll_wait) and {wake:.0f}% in eventfd_write (the call to the driver)" if sleep is not None and wake is not None else "")
                   + f". Hottest user-space functions: {top}.")

def micro():
    # BenchmarkDotNet's GitHub tables, each under its class's name, without its environment block.
    reports = sorted((work / "bdn" / "results").glob("*-report-github.md")) if (work / "bdn" / "results").exists() else []
    parts = []
    for report in reports:
        table = [l for l in report.read_text().splitlines() if l.startswith("|")]
        if table:
            parts.append(f"`{report.name.split('-report')[0].split('.')[-1]}`:\n\n" + "\n".join(table))
    return ("\n\nMicro-benchmarks (BenchmarkDotNet, `--job short`, same sitting):\n\n" + "\n\n".join(parts)) if parts else ""

text = f"""<!-- run.sh begin: written by bench/run.sh; edits between these markers are overwritten -->
## One sitting: `bench/run.sh` ({datetime.date.today().isoformat()})

Machine: {machine}; daemon: `{binary}`. Each row is one run of the C driver (`bench/c/vhu-load.c`:
a vhost-user frontend and virtio driver, or a stream-socket agent, that costs next to nothing) or
of `vscmi bench` (vscmi's own frontend and client, sharing the two cores with the daemon). The
daemon's CPU per message is the time its threads ran (schedstat) divided by the messages, so it
does not depend on how fast the driver is. The floor is two processes ping-ponging through
eventfds (`bench/c/pingpong.c`): {floor['round_trips_per_second']:,.0f} round trips/s, p50 {floor['p50_us']:.1f} µs, p99 {floor['p99_us']:.1f} µs.

| Transport | Driver | Command | In flight | Messages/s | p50 | p99 | p99.9 | Daemon CPU/msg |
|---|---|---|---:|---:|---:|---:|---:|---:|
""" + "\n".join(rows) + """

VMs on one daemon (added with `vscmi ctl vm add`, driven together by the C driver, 8
SENSOR_READING_GETs in flight each): does the platform's lock serialise them?

| VMs | Messages/s | p50 | p99 | Daemon CPU/msg | Lock waits per 1,000 commands |
|---:|---:|---:|---:|---:|---:|
""" + "\n".join(scaling) + """

Against issue 18's targets:

| What | Measured | Target | |
|---|---|---|---|
""" + "\n".join(verdicts) + "\n\n" + "\n".join(profile) + micro() + "\n<!-- run.sh end -->\n"
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

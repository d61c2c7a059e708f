#!/usr/bin/env bash
# End-to-end: a real arm64 Linux guest under QEMU whose SCMI driver talks to `vscmi serve` through
# vhost-user-scmi-pci. Installs what it needs (as root), builds or reuses the kernel, builds the
# initramfs and device tree, boots, and checks from inside the guest what the kernel made of our
# platform. Prints one "E2E-CHECK PASS|FAIL name" line per check and, last,
# "E2E: N passed, M failed". Exit status 0 only when every check passed.
# Environment: VSCMI_E2E_CACHE (kernel/busybox cache, default ~/.cache/vscmi-e2e),
#              VSCMI_E2E_KEEP=1 (keep the work directory for inspection),
#              VSCMI_E2E_BOOTS (boots in a row while a second VM loads the daemon, default 8).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${VSCMI_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vscmi-e2e}"
mkdir -p "$cache"
trap '' PIPE   # QEMU may be gone when we answer the guest; a write error is not a crash
step() { echo "e2e: $*" >&2; }
fail_setup() { echo "e2e: setup failed: $*" >&2; echo "E2E-CHECK FAIL setup: $*"; echo "E2E: 0 passed, 1 failed"; exit 1; }

if [ "$(id -u)" = 0 ]; then
  step "installing prerequisites"
  bash "$here/install.sh" >&2 || fail_setup "install.sh"
fi
for tool in qemu-system-aarch64 dtc python3 cpio gzip; do
  command -v "$tool" >/dev/null 2>&1 || fail_setup "$tool is missing (run tests/e2e/install.sh as root)"
done

step "kernel"
image=$(bash "$here/build-kernel.sh" | tail -1) || fail_setup "kernel build"

work=$(mktemp -d /tmp/vscmi-e2e.XXXXXX)
serve_pid=""
old_serve_pid=""
qemu_pid=""
events_pid=""
load_pid=""
svc_pid=""
vm2_pid=""
trace_pid=""
cleanup() {
  [ -n "$trace_pid" ] && kill "$trace_pid" 2>/dev/null || true
  [ -n "$vm2_pid" ] && kill "$vm2_pid" 2>/dev/null || true
  [ -n "$svc_pid" ] && kill -TERM "$svc_pid" 2>/dev/null && wait "$svc_pid" 2>/dev/null || true
  [ -n "$load_pid" ] && kill -KILL "$load_pid" 2>/dev/null || true
  [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true
  [ -n "$events_pid" ] && kill "$events_pid" 2>/dev/null || true
  [ -n "$serve_pid" ] && kill -TERM "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  [ -n "$old_serve_pid" ] && kill -TERM "$old_serve_pid" 2>/dev/null && wait "$old_serve_pid" 2>/dev/null || true
  if [ "${VSCMI_E2E_KEEP:-0}" = 1 ]; then echo "e2e: work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

step "initramfs (busybox-static arm64 + tests/e2e/init.sh)"
busybox_deb=$(ls "$cache"/busybox-static_*_arm64.deb 2>/dev/null | head -1 || true)
if [ -z "$busybox_deb" ]; then
  (cd "$cache" && apt-get download busybox-static:arm64 >&2) || fail_setup "apt-get download busybox-static:arm64 (dpkg --add-architecture arm64 first)"
  busybox_deb=$(ls "$cache"/busybox-static_*_arm64.deb | head -1)
fi
mkdir -p "$work/deb" "$work/rootfs/bin" "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/dev" "$work/rootfs/tmp"
dpkg-deb -x "$busybox_deb" "$work/deb"
cp "$work/deb/bin/busybox" "$work/rootfs/bin/busybox"
ln -s busybox "$work/rootfs/bin/sh"   # the interpreter of /init
# What the kernel runs for an orderly poweroff (poweroff_cmd, e.g. from scmi_power_control).
mkdir -p "$work/rootfs/sbin"
printf '#!/bin/sh\necho "E2E-ORDERLY-POWEROFF by $0" > /dev/kmsg\nexec /bin/busybox poweroff -f\n' > "$work/rootfs/sbin/poweroff"
chmod +x "$work/rootfs/sbin/poweroff"
# vscmi itself, for the guest (init.sh "inner"): the arm64 native AOT binary and the three glibc
# files it needs (libc, libm, the loader) from Debian's arm64 cross libc.
arm64_bin="$root/artifacts/publish/linux-arm64/vscmi"
stale=$("$root/packaging/newer-source.sh" "$arm64_bin" || true)
if [ -n "$stale" ]; then
  step "vscmi for linux-arm64 (native AOT; ./packaging/publish.sh --only-arm64)"
  # touch: publish copies an unchanged binary with its old time, which would look stale forever.
  bash "$root/packaging/publish.sh" --only-arm64 >&2 && touch "$arm64_bin" || step "the arm64 build failed: the guest runs without vscmi (its checks fail)"
fi
if [ -x "$arm64_bin" ] && [ -f /usr/aarch64-linux-gnu/lib/libc.so.6 ]; then
  cp "$arm64_bin" "$work/rootfs/bin/vscmi"
  mkdir -p "$work/rootfs/lib"
  for lib in ld-linux-aarch64.so.1 libc.so.6 libm.so.6; do cp -L "/usr/aarch64-linux-gnu/lib/$lib" "$work/rootfs/lib/"; done
fi
cp "$here/init.sh" "$work/rootfs/init"
chmod +x "$work/rootfs/init"
(cd "$work/rootfs" && find . | cpio -o -H newc --quiet | gzip -9) > "$work/initrd.gz"

step "vscmi serve"
"$root/vscmi" config show > "$work/model-default.toml"
# The default model plus a 3-axis accelerometer (constant axes), which Linux's IIO_SCMI binds
# (it wants m/s² or rad/s and axis names ending in _X, _Y, _Z: its channel modifiers).
cp "$work/model-default.toml" "$work/model.toml"
cat >> "$work/model.toml" <<'ACCEL'

[[sensor]]
name = "accel"
type = "m_per_s2"
unit_exponent = -3
axes = [
  { name = "accel_X", source = { kind = "constant", value = 120 } },
  { name = "accel_Y", source = { kind = "constant", value = -340 } },
  { name = "accel_Z", source = { kind = "constant", value = 9807 } },
]
ACCEL
# The second VM (agent sandbox) is this script's load generator (vscmi bench, 16 commands in flight,
# below): it runs over the default command rate (100,000/s) on purpose, so its rate is lifted here;
# the guest keeps the default.
awk '{ print } /^name = "sandbox"$/ { print "commands_per_second = 0" }' "$work/model.toml" > "$work/model.toml.new" && mv "$work/model.toml.new" "$work/model.toml"
grep -q '^commands_per_second = 0$' "$work/model.toml" || fail_setup "could not lift agent sandbox's command rate in model.toml"
"$root/vscmi" serve --config "$work/model.toml" --vhost-user "guest=$work/vm.sock" --vhost-user "sandbox=$work/vm2.sock" --socket "OSPM=$work/ospm.sock" \
  --control "$work/main-control.sock" --metrics 127.0.0.1:0 > "$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 600); do
  grep -q "ready:" "$work/serve.log" 2>/dev/null && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log" >&2; fail_setup "vscmi serve exited"; }
  sleep 0.2
done
grep -q "ready:" "$work/serve.log" || fail_setup "vscmi serve not ready"
"$root/vscmi" info --json --connect "unix:$work/ospm.sock" > "$work/host-info.json"
snapshot() {
  for what in clocks perf sensors power voltages resets powercap; do
    "$root/vscmi" "$what" --json --connect "unix:$work/ospm.sock" > "$work/$1-$what.json"
  done
}
snapshot before
# Every notification the platform sends OSPM (whichever agent caused it), one JSON line each: how
# the host sees what the guest's drivers did (power domain transitions, perf levels, clock rates).
"$root/vscmi" events --json --connect "unix:$work/ospm.sock" > "$work/events.jsonl" 2> "$work/events.log" &
events_pid=$!
# The guest's every message, recorded from its first boot to the end of the boots in a row
# (docs/observability.md): check.py compares it with the metrics scraped then, and reads it with
# tshark and the generated dissector.
"$root/vscmi" trace --control "$work/main-control.sock" --agent guest --write "$work/guest.pcapng" --quiet > "$work/trace.out" 2> "$work/trace.err" &
trace_pid=$!
for _ in $(seq 1 300); do grep -q "^tracing" "$work/trace.err" 2>/dev/null && break; sleep 0.2; done

machine=(-M virt -cpu max -smp 2 -m 512M)
step "device tree (QEMU's virt tree + vscmi dt)"
qemu-system-aarch64 -M virt,dumpdtb="$work/virt.dtb" -cpu max -smp 2 -m 512M -display none >/dev/null 2>&1 || fail_setup "qemu dumpdtb"
dtc -q -I dtb -O dts -o "$work/virt.dts" "$work/virt.dtb"
cp "$work/virt.dts" "$work/virt.dts.base"
"$root/vscmi" dt --config "$work/model.toml" --agent guest --cpus little,big --timeout-ms 10000 >> "$work/virt.dts"
cat "$here/consumers.dts" >> "$work/virt.dts"
dtc -q -I dts -O dtb -o "$work/virt-scmi.dtb" "$work/virt.dts" || fail_setup "dtc rejected the merged tree"

# The device options exactly as 'vscmi qemu-args' prints them (PCI, or virtio-mmio with --mmio),
# for the VM socket in $vm_socket (default: the first daemon's).
device_args() {
  "$root/vscmi" qemu-args --socket "${vm_socket:-$work/vm.sock}" "$@" | tr -d '\\' | tr '\n' ' ' \
    | grep -o -- '-global [^ ]*\|-device [^ ]*' | tr '\n' ' '
}

# run_vm LOG DEVICE ANSWER...: boots one QEMU. The guest asks the host at each "E2E-STEP tag"
# (host_step acts, then answers) and, last, at "E2E-WAIT": the host takes a snapshot (the first
# time) and sends the next ANSWER ("reboot" reboots the guest inside the same QEMU, "go" powers it
# off). Lines are handled in the order the guest printed them.
extended_done=0
host_step() {   # sets $reply (no subshell: extended_done must stick)
  local tag=$1 ospm=(--connect "unix:$work/ospm.sock")
  reply=next
  # Where the host's notification log stood at each step (check.py looks at events between steps).
  echo "$tag $(wc -l < "$work/events.jsonl")" >> "$work/marks.txt"
  case "$tag" in
    extended)
      # The consumer and notification checks run once, in the first boot.
      if [ "$extended_done" = 0 ]; then extended_done=1; reply=extended; else reply=skip; fi ;;
    inner)
      # vscmi inside the guest runs once, in the first boot.
      if [ "${inner_done:-0}" = 0 ]; then inner_done=1; reply=inner; else reply=skip; fi ;;
    inject-busy) "$root/vscmi" inject status BUSY --agent guest --message PERFORMANCE_LEVEL_SET --count 2 --control "$work/main-control.sock" > "$work/inject-add.out" 2>&1 ;;
    inject-done)
      "$root/vscmi" inject list --control "$work/main-control.sock" > "$work/inject-list.out" 2>&1
      "$root/vscmi" inject clear --control "$work/main-control.sock" >> "$work/inject-list.out" 2>&1
      "$root/vscmi" perf --json "${ospm[@]}" > "$work/inject-perf.json" ;;
    scenarios)
      # The library's scenarios with a [guest] part, in name order; the shutdown ones end boots below.
      reply=$(cd "$root/scenarios" && grep -l '^\[guest\]' *.toml | sed 's/\.toml$//' | tr '\n' ' ')
      [ -n "$reply" ] || reply=none ;;
    scenario-start:*)
      local name=${tag#scenario-start:}
      if [ ! -f "$root/scenarios/$name.toml" ]; then
        # Not one the host offered: say so and let the guest go on (check.py counts the verdicts).
        step "the guest asked for scenario '$name', which is not in scenarios/"; reply=missing; scenario_pid=""; return
      fi
      "$root/vscmi" scenario run "$root/scenarios/$name.toml" --control "$work/main-control.sock" --junit "$work/junit-$name.xml" > "$work/scenario-$name.out" 2>&1 &
      scenario_pid=$!
      for _ in $(seq 1 100); do grep -q "^  started" "$work/scenario-$name.out" 2>/dev/null && break; kill -0 "$scenario_pid" 2>/dev/null || break; sleep 0.1; done
      reply=$(python3 -c 'import base64, sys, tomllib; print(base64.b64encode(tomllib.load(open(sys.argv[1], "rb"))["guest"]["run"].encode()).decode())' "$root/scenarios/$name.toml") ;;
    scenario-end:*)
      local name=${tag#scenario-end:}
      [ -n "${scenario_pid:-}" ] || return 0
      for _ in $(seq 1 600); do kill -0 "$scenario_pid" 2>/dev/null || break; sleep 0.1; done
      kill -TERM "$scenario_pid" 2>/dev/null || true
      local rc=0; wait "$scenario_pid" || rc=$?; echo "$rc" > "$work/scenario-$name.rc"
      step "scenario $name: $(tail -1 "$work/scenario-$name.out")" ;;
    deny-clock) "$root/vscmi" permissions deny --agent guest --device 1 --protocol clock "${ospm[@]}" >&2 ;;
    allow-clock) "$root/vscmi" permissions allow --agent guest --device 1 --protocol clock "${ospm[@]}" >&2 ;;
    service) reply=${service_phase:-skip} ;;
    svc-kill) svc_kill ;;
    svc-vm2) svc_vm2 ;;
    svc-cpufreq) "$svc_bin" perf --json --connect "unix:$work/svc-ospm.sock" > "$work/svc-perf.json" ;;
    svc-reload) svc_reload ;;
    svc-done) grep -c "frontend connected (agent guest" "$work/serve-svc.log" > "$work/svc-connects-done.txt" || true ;;
    *) [ -f "$work/$tag-clocks.json" ] || snapshot "$tag" ;;
  esac
}

run_vm() {
  local log=$1 device=$2; shift 2
  rm -f "$work/console.in"
  mkfifo "$work/console.in"
  qemu-system-aarch64 "${machine[@]}" \
    -object memory-backend-memfd,id=mem,size=512M,share=on -machine memory-backend=mem \
    -chardev socket,id=scmi0,path="${vm_socket:-$work/vm.sock}"${chardev_opts:-} $device \
    -nic none -kernel "$image" -initrd "$work/initrd.gz" -dtb "${dtb:-$work/virt-scmi.dtb}" \
    -append "console=ttyAMA0 rdinit=/init panic=-1" \
    -display none -serial stdio -monitor none \
    < "$work/console.in" > "$log" 2>&1 &
  qemu_pid=$!
  exec 3> "$work/console.in"
  local handled=0 started answer line
  started=$(date +%s)
  local answers=("$@") waits=0
  while [ "$waits" -lt "${#answers[@]}" ]; do
    # Only whole lines: the console may be caught mid-line ("E2E-STEP scenario-start:hel" before
    # "d-delayed-response" arrives), and a step taken for another would put the host and the guest
    # out of step. One copy, so the line and the test for its end see the same bytes (QEMU writes
    # on meanwhile: reading the log twice once took a cut line for a whole one).
    cp "$log" "$work/console.snap" 2>/dev/null || : > "$work/console.snap"
    if [ -n "$(tail -c1 "$work/console.snap")" ]; then sed -i '$d' "$work/console.snap"; fi
    line=$(grep -E "^(E2E-STEP |E2E-WAIT)" "$work/console.snap" 2>/dev/null | tr -d '\r' | sed -n "$((handled + 1))p" || true)
    if [ -z "$line" ]; then
      kill -0 "$qemu_pid" 2>/dev/null || { step "QEMU exited before the guest reached its checks"; break; }
      if [ $(( $(date +%s) - started )) -gt "${run_limit:-400}" ]; then step "the guest stopped asking after $handled questions (${run_limit:-400} s)"; break; fi
      sleep 0.2
      continue
    fi
    handled=$((handled + 1))
    case "$line" in
      E2E-STEP*)
        host_step "${line#E2E-STEP }"
        answer=$reply
        step "guest step '${line#E2E-STEP }' after $(( $(date +%s) - started )) s; answering $answer" ;;
      *)
        answer=${answers[$waits]}
        waits=$((waits + 1))
        step "guest reached its checks (boot $waits of $(basename "$log")) after $(( $(date +%s) - started )) s; answering $answer"
        [ -f "$work/during-clocks.json" ] || snapshot during ;;
    esac
    echo "$answer" >&3 || true
    if [ "$answer" = "await-scenario" ]; then
      # A shutdown scenario of the library ends this boot (scenarios/$wait_scenario.toml).
      sleep 1
      rc=0; "$root/vscmi" scenario run "$root/scenarios/$wait_scenario.toml" --control "$work/main-control.sock" --junit "$work/junit-$wait_scenario.xml" > "$work/scenario-$wait_scenario.out" 2>&1 || rc=$?
      echo "$rc" > "$work/scenario-$wait_scenario.rc"
      step "scenario $wait_scenario: $(tail -1 "$work/scenario-$wait_scenario.out")"
    fi
    if [ "$answer" = "await-shutdown" ]; then
      # A host-initiated graceful shutdown of this VM: SYSTEM_POWER_STATE_NOTIFIER to agent guest only.
      sleep 1
      "$root/vscmi" system shutdown --agent guest --timeout-ms 30000 --connect "unix:$work/ospm.sock" > "$work/shutdown.out" 2>&1 || true
      step "asked the guest to shut down: $(cat "$work/shutdown.out")"
    fi
  done
  for _ in $(seq 1 120); do kill -0 "$qemu_pid" 2>/dev/null || { touch "$log.exited"; break; }; sleep 0.5; done
  kill "$qemu_pid" 2>/dev/null || true
  wait "$qemu_pid" 2>/dev/null || true
  qemu_pid=""
  exec 3>&-
}

# A second VM (vscmi's own vhost-user frontend, agent sandbox) keeps 16 commands in flight on the
# same daemon from here to the end of the boots in a row: the first boot's asynchronous reads in a
# loop and every later boot run against it.
"$root/vscmi" bench --connect "vhost-user:$work/vm2.sock" --command SENSOR_READING_GET --inflight 16 --duration 3600 --json > "$work/bench-load.json" 2> "$work/bench-load.log" &
load_pid=$!

step "booting the guest, then rebooting it inside the same QEMU"
run_limit=900 run_vm "$work/console.log" "$(device_args)" reboot go
step "a new QEMU on the same socket (a restarted VM), the device on virtio-mmio this time"
run_vm "$work/console-restart.log" "$(device_args --mmio)" await-shutdown

# Boots in a row, each reading every hwmon input (vdd_cpu_curr asynchronously), while the second
# VM keeps loading the daemon: a delayed response must never reach a guest before its reply
# ("Invalid message type").
boots=${VSCMI_E2E_BOOTS:-8}
step "$boots boots in a row while a second VM loads the daemon"
: > "$work/console-boots.log"
for i in $(seq 1 "$boots"); do
  # The last two boots end with the library's shutdown scenarios: platform-initiated, forced last.
  end=go; wait_scenario=""
  [ "$i" = "$boots" ] && { end=await-scenario; wait_scenario=forced-shutdown; }
  [ "$boots" -gt 1 ] && [ "$i" = $((boots - 1)) ] && { end=await-scenario; wait_scenario=graceful-shutdown; }
  run_vm "$work/console-boot.log" "$(device_args)" "$end"
  cat "$work/console-boot.log" >> "$work/console-boots.log"
done
# The load ends with the boots (SIGTERM; a client in mid-request may linger, so it gets 5 s).
kill -TERM "$load_pid" 2>/dev/null || true
for _ in $(seq 1 10); do kill -0 "$load_pid" 2>/dev/null || break; sleep 0.5; done
kill -KILL "$load_pid" 2>/dev/null || true
wait "$load_pid" 2>/dev/null || true
load_pid=""
echo "$boots" > "$work/boots.txt"
# The guest is off: its trace ends, and the daemon's metrics are taken at the same point.
# (SIGTERM: a job started with & in a script has SIGINT ignored, and the runtime keeps it so.)
kill -TERM "$trace_pid" 2>/dev/null || true
wait "$trace_pid" 2>/dev/null || true
trace_pid=""
metrics_url=$(grep -o 'metrics: http[^ ]*' "$work/serve.log" | head -1 | cut -d' ' -f2)
curl -s "$metrics_url" > "$work/metrics.txt" 2> "$work/metrics.err" || true
tshark -X lua_script:"$root/docs/wireshark/vscmi.lua" -r "$work/guest.pcapng" -T fields -E separator=/t \
  -e frame.packet_flags_direction -e vscmi.message -e vscmi.kind -e vscmi.status -e vscmi.extra > "$work/guest-tshark.tsv" 2> "$work/guest-tshark.err" || true
step "the guest's trace: $(wc -l < "$work/guest-tshark.tsv") messages; $(tail -1 "$work/trace.err")"

# The same guest against a platform presenting SCMI 2.0 (scmi_release = "2.0"): every protocol
# 2.0 has must bind with its 2.0 layouts, and nothing newer may be listed or named in the tree.
step "SCMI 2.0: a second daemon on a model with scmi_release = \"2.0\""
# (From the default model: SCMI 2.0 has no multi-axis sensors.)
{ echo 'scmi_release = "2.0"'; cat "$work/model-default.toml"; } > "$work/model-2.0.toml"
"$root/vscmi" config check "$work/model-2.0.toml" >&2 || fail_setup "the SCMI 2.0 model"
"$root/vscmi" serve --config "$work/model-2.0.toml" --vhost-user "guest=$work/vm-2.0.sock" --socket "OSPM=$work/ospm-2.0.sock" > "$work/serve-2.0.log" 2>&1 &
old_serve_pid=$!
for _ in $(seq 1 600); do grep -q "ready:" "$work/serve-2.0.log" 2>/dev/null && break; kill -0 "$old_serve_pid" 2>/dev/null || break; sleep 0.2; done
grep -q "ready:" "$work/serve-2.0.log" || fail_setup "vscmi serve (SCMI 2.0) not ready"
cp "$work/virt.dts.base" "$work/virt-2.0.dts"
"$root/vscmi" dt --config "$work/model-2.0.toml" --agent guest --cpus little,big --timeout-ms 10000 >> "$work/virt-2.0.dts"
dtc -q -I dts -O dtb -o "$work/virt-2.0.dtb" "$work/virt-2.0.dts" || fail_setup "dtc rejected the SCMI 2.0 tree"
"$root/vscmi" info --json --connect "unix:$work/ospm-2.0.sock" > "$work/info-2.0.json"
vm_socket="$work/vm-2.0.sock" dtb="$work/virt-2.0.dtb" run_vm "$work/console-2.0.log" "$(vm_socket="$work/vm-2.0.sock" device_args)" go
kill -TERM "$old_serve_pid" 2>/dev/null; wait "$old_serve_pid" 2>/dev/null || true
old_serve_pid=""

# The daemon as a service, with the binary the systemd unit runs (the native AOT one ./test
# builds; the launcher when it is missing): --state and --control, one guest whose QEMU listens
# (server=on,wait=on, 'vscmi qemu-args --server') and vscmi connects (--vhost-user-client). While
# the guest reads sensors and its CPU frequency in a loop the daemon is killed (kill -9) and started
# again with its state file; then a second VM is added with 'vscmi ctl vm add' and boots while the
# first goes on; then a reload gives cpu_temp a new source.
svc_bin="$root/artifacts/publish/linux-x64/vscmi"
# ./test builds it before the e2e run; run alone, this script rebuilds it when a source is newer.
if [ -x "$svc_bin" ] && "$root/packaging/newer-source.sh" "$svc_bin" >/dev/null; then
  step "the native AOT binary is older than the sources: packaging/publish.sh --only-x64"
  bash "$root/packaging/publish.sh" --only-x64 >&2 && touch "$svc_bin" || svc_bin=""
fi
[ -x "$svc_bin" ] || svc_bin="$root/vscmi"
ctl=("$svc_bin" ctl --control "$work/control.sock")
cp "$work/model.toml" "$work/model-svc.toml"
start_svc() {
  local before
  before=$(grep -c "ready:" "$work/serve-svc.log" 2>/dev/null)
  "$svc_bin" serve --config "$work/model-svc.toml" --state "$work/svc-state.json" --control "$work/control.sock" \
    --vhost-user-client "guest=$work/svc.sock" --socket "OSPM=$work/svc-ospm.sock" >> "$work/serve-svc.log" 2>&1 &
  svc_pid=$!
  for _ in $(seq 1 300); do
    [ "$(grep -c "ready:" "$work/serve-svc.log")" -gt "${before:-0}" ] && return 0
    kill -0 "$svc_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
agent_sessions() {   # sessions of one agent, from 'vscmi ctl status --json' (-1: no answer)
  "${ctl[@]}" status --json 2>> "$work/svc-ctl-errors.txt" | python3 -c 'import json, sys
a = [x for x in json.load(sys.stdin)["agents"] if x["name"] == sys.argv[1]]
print(a[0]["sessions"] if a else -1)' "$1" 2>> "$work/svc-ctl-errors.txt" || echo -1
}
svc_kill() {
  "${ctl[@]}" state show > "$work/svc-state-before.txt"
  kill -KILL "$svc_pid"
  wait "$svc_pid" 2>/dev/null || true
  local killed
  killed=$(date +%s.%N)
  start_svc || { step "service: vscmi did not start again"; return; }
  # vscmi connects to QEMU's socket again; QEMU sets the running device up on the new connection.
  for _ in $(seq 1 300); do [ "$(agent_sessions guest)" -ge 1 ] && break; sleep 0.1; done
  echo "$killed $(date +%s.%N)" > "$work/svc-reconnect.txt"
  "${ctl[@]}" state show > "$work/svc-state-after.txt"
  step "service: killed vscmi (-9), started it again; it reconnected to the guest's QEMU after $(awk '{ printf "%.1f", $2 - $1 }' "$work/svc-reconnect.txt") s"
}
svc_vm2() {
  "${ctl[@]}" vm add vm2 --vhost-user "$work/svc-vm2.sock" > "$work/svc-vm-add.out" 2>&1 || true
  qemu-system-aarch64 "${machine[@]}" \
    -object memory-backend-memfd,id=mem,size=512M,share=on -machine memory-backend=mem \
    -chardev socket,id=scmi0,path="$work/svc-vm2.sock" $(vm_socket="$work/svc-vm2.sock" device_args) \
    -nic none -kernel "$image" -initrd "$work/initrd.gz" -dtb "$work/virt-scmi.dtb" \
    -append "console=ttyAMA0 rdinit=/init panic=-1 e2e=quick" \
    -display none -serial "file:$work/console-vm2.log" -monitor none < /dev/null > "$work/qemu-vm2.log" 2>&1 &
  vm2_pid=$!
  local most=0 n
  for _ in $(seq 1 1000); do
    kill -0 "$vm2_pid" 2>/dev/null || break
    n=$(agent_sessions vm2)
    echo "$(date +%s.%N) $n" >> "$work/svc-vm2-polls.txt"
    [ "$n" -gt "$most" ] && most=$n
    sleep 0.3
  done
  kill "$vm2_pid" 2>/dev/null || true
  wait "$vm2_pid" 2>/dev/null || true
  vm2_pid=""
  echo "$most" > "$work/svc-vm2-sessions.txt"
  "${ctl[@]}" vm remove vm2 > "$work/svc-vm-remove.out" 2>&1 || true
  [ -e "$work/svc-vm2.sock" ] && echo present > "$work/svc-vm2-socket.txt" || echo gone > "$work/svc-vm2-socket.txt"
  step "service: a second VM (agent vm2) added, booted and removed; $(cat "$work/svc-vm-add.out")"
}
svc_reload() {
  grep -c "frontend connected (agent guest" "$work/serve-svc.log" > "$work/svc-connects-reload.txt" || true
  sed -i 's/source = { kind = "sine", base = 45000, amplitude = 5000, period_s = 60 }/source = { kind = "constant", value = 71000 }/' "$work/model-svc.toml"
  "${ctl[@]}" reload > "$work/svc-reload.out" 2>&1 || true
  step "service: $(head -1 "$work/svc-reload.out")"
}
step "service: $svc_bin serve --state --control --vhost-user-client; a guest whose QEMU listens"
start_svc || fail_setup "vscmi serve (service phase) not ready"
service_phase=service chardev_opts=",server=on,wait=on" run_limit=900 vm_socket="$work/svc.sock" \
  run_vm "$work/console-svc.log" "$(vm_socket="$work/svc.sock" device_args)" go
kill -TERM "$svc_pid" 2>/dev/null; wait "$svc_pid" 2>/dev/null || true
svc_pid=""

kill "$events_pid" 2>/dev/null || true
wait "$events_pid" 2>/dev/null || true
events_pid=""
step "checking"
python3 "$here/check.py" "$work"

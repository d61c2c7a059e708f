#!/usr/bin/env bash
# End-to-end: a real arm64 Linux guest under QEMU whose SCMI driver talks to `vscmi serve` through
# vhost-user-scmi-pci. Installs what it needs (as root), builds or reuses the kernel, builds the
# initramfs and device tree, boots, and checks from inside the guest what the kernel made of our
# platform. Prints one "E2E-CHECK PASS|FAIL name" line per check and, last,
# "E2E: N passed, M failed". Exit status 0 only when every check passed.
# Environment: VSCMI_E2E_CACHE (kernel/busybox cache, default ~/.cache/vscmi-e2e),
#              VSCMI_E2E_KEEP=1 (keep the work directory for inspection).
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
qemu_pid=""
cleanup() {
  [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true
  [ -n "$serve_pid" ] && kill -TERM "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
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
cp "$here/init.sh" "$work/rootfs/init"
chmod +x "$work/rootfs/init"
(cd "$work/rootfs" && find . | cpio -o -H newc --quiet | gzip -9) > "$work/initrd.gz"

step "vscmi serve"
"$root/vscmi" config show > "$work/model.toml"
"$root/vscmi" serve --vhost-user "guest=$work/vm.sock" --socket "OSPM=$work/ospm.sock" > "$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 600); do
  grep -q "ready:" "$work/serve.log" 2>/dev/null && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log" >&2; fail_setup "vscmi serve exited"; }
  sleep 0.2
done
grep -q "ready:" "$work/serve.log" || fail_setup "vscmi serve not ready"
snapshot() {
  for what in clocks perf sensors power voltages resets; do
    "$root/vscmi" "$what" --json --connect "unix:$work/ospm.sock" > "$work/$1-$what.json"
  done
}
snapshot before

machine=(-M virt -cpu max -smp 2 -m 512M)
step "device tree (QEMU's virt tree + vscmi dt)"
qemu-system-aarch64 -M virt,dumpdtb="$work/virt.dtb" -cpu max -smp 2 -m 512M -display none >/dev/null 2>&1 || fail_setup "qemu dumpdtb"
dtc -q -I dtb -O dts -o "$work/virt.dts" "$work/virt.dtb"
"$root/vscmi" dt --agent guest --cpus little,big --timeout-ms 10000 >> "$work/virt.dts"
dtc -q -I dts -O dtb -o "$work/virt-scmi.dtb" "$work/virt.dts" || fail_setup "dtc rejected the merged tree"

# The device options exactly as 'vscmi qemu-args' prints them (PCI, or virtio-mmio with --mmio).
device_args() {
  "$root/vscmi" qemu-args --socket "$work/vm.sock" "$@" | tr -d '\\' | tr '\n' ' ' \
    | grep -o -- '-global [^ ]*\|-device [^ ]*' | tr '\n' ' '
}

# run_vm LOG DEVICE ANSWER...: boots one QEMU; each time the guest prints E2E-WAIT the host takes a
# snapshot (the first time) and sends the next answer ("reboot" reboots the guest inside the same
# QEMU, "go" powers it off).
run_vm() {
  local log=$1 device=$2; shift 2
  rm -f "$work/console.in"
  mkfifo "$work/console.in"
  qemu-system-aarch64 "${machine[@]}" \
    -object memory-backend-memfd,id=mem,size=512M,share=on -machine memory-backend=mem \
    -chardev socket,id=scmi0,path="$work/vm.sock" $device \
    -nic none -kernel "$image" -initrd "$work/initrd.gz" -dtb "$work/virt-scmi.dtb" \
    -append "console=ttyAMA0 rdinit=/init panic=-1" \
    -display none -serial stdio -monitor none \
    < "$work/console.in" > "$log" 2>&1 &
  qemu_pid=$!
  exec 3> "$work/console.in"
  local waits=0 started
  started=$(date +%s)
  for answer in "$@"; do
    waits=$((waits + 1))
    while [ "$(grep -c "E2E-WAIT" "$log" 2>/dev/null || true)" -lt "$waits" ]; do
      kill -0 "$qemu_pid" 2>/dev/null || break
      if [ $(( $(date +%s) - started )) -gt 300 ]; then step "no E2E-WAIT #$waits within 300 s"; break; fi
      sleep 0.5
    done
    if ! kill -0 "$qemu_pid" 2>/dev/null; then
      step "QEMU exited before the guest reached its checks"
      break
    fi
    step "guest reached its checks (boot $waits of $(basename "$log")) after $(( $(date +%s) - started )) s; answering $answer"
    [ -f "$work/during-clocks.json" ] || snapshot during
    echo "$answer" >&3 || true
  done
  for _ in $(seq 1 120); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.5; done
  kill "$qemu_pid" 2>/dev/null || true
  wait "$qemu_pid" 2>/dev/null || true
  qemu_pid=""
  exec 3>&-
}

step "booting the guest, then rebooting it inside the same QEMU"
run_vm "$work/console.log" "$(device_args)" reboot go
step "a new QEMU on the same socket (a restarted VM), the device on virtio-mmio this time"
run_vm "$work/console-restart.log" "$(device_args --mmio)" go

step "checking"
python3 "$here/check.py" "$work"

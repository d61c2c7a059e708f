#!/bin/sh
# /init of the e2e guest (busybox). Prints what the kernel made of the SCMI platform, one fact per
# line prefixed E2E-, waits for the host to look (a line on the console), then powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug

# Consumer drivers may probe late (deferred probes): wait for the last ones we expect.
i=0
while [ $i -lt 100 ] && { [ ! -d /sys/class/hwmon/hwmon0 ] || [ ! -d /sys/devices/system/cpu/cpufreq/policy0 ]; }; do
  sleep 0.1; i=$((i + 1))
done
echo "E2E-BEGIN $(uname -r)"

dmesg | grep -iE 'scmi|arm-scmi' | sed 's/^/E2E-DMESG /'

for driver in /sys/bus/scmi_protocol/drivers/*; do
  for device in "$driver"/scmi_dev.*; do
    [ -e "$device" ] && echo "E2E-BOUND $(basename "$driver") $(basename "$device")"
  done
done

for input in /sys/class/hwmon/hwmon*/*_input; do
  [ -e "$input" ] || continue
  label=$(cat "${input%_input}_label" 2>/dev/null || echo "-")
  echo "E2E-HWMON $(cat "$(dirname "$input")/name") $(basename "$input") $label $(cat "$input")"
done

sed 's/^/E2E-CLK /' /sys/kernel/debug/clk/clk_summary

# A second VM booted while another runs (the service phase): what bound and what hwmon reads is
# enough; it powers off without asking the host anything.
if grep -q 'e2e=quick' /proc/cmdline; then
  echo "E2E-QUICK-END"
  sleep 3   # the host polls 'vscmi ctl status' for this VM's session meanwhile
  poweroff -f
fi

for policy in /sys/devices/system/cpu/cpufreq/policy*; do
  [ -d "$policy" ] || continue
  echo "E2E-CPUFREQ $(basename "$policy") cpus=$(cat "$policy/related_cpus" | tr ' ' ',') cur=$(cat "$policy/cpuinfo_cur_freq" 2>/dev/null || cat "$policy/scaling_cur_freq") available=$(cat "$policy/scaling_available_frequencies" | tr -s ' ' ',' | sed 's/,$//') boost=$(cat "$policy/scaling_boost_frequencies" 2>/dev/null | tr -s ' ' ',' | sed 's/,$//')"
done

for regulator in /sys/class/regulator/regulator.*; do
  [ -e "$regulator/name" ] || continue
  echo "E2E-REGULATOR $(cat "$regulator/name") microvolts=$(cat "$regulator/microvolts" 2>/dev/null || echo -) state=$(cat "$regulator/state" 2>/dev/null || echo -)"
done

sed 's/^/E2E-GENPD /' /sys/kernel/debug/pm_genpd/pm_genpd_summary

# Raw mode: bare SCMI messages through /sys/kernel/debug/scmi/0/raw (binary, little-endian).
RAW=/sys/kernel/debug/scmi/0/raw
le32() {
  v=$1; n=0
  while [ $n -lt 4 ]; do printf "\\$(printf %03o $((v & 255)))"; v=$((v >> 8)); n=$((n + 1)); done
}
# header: message id [7:0], type [9:8], protocol [17:10], token [27:18]; tokens from 0x300 up
# so they never meet the kernel's own.
token=768
raw() {
  name=$1; protocol=$2; message=$3; shift 3
  { le32 $((message | (protocol << 10) | (token << 18))); for word in "$@"; do le32 "$word"; done; } > /tmp/raw.bin
  token=$((token + 1))
  dd if=/tmp/raw.bin of=$RAW/message bs=256 2>/dev/null
  echo "E2E-RAW $name $(timeout 5 dd if=$RAW/message bs=256 count=1 2>/dev/null | od -An -tx4 -v | tr -s ' \n' ' ')"
}
if [ -d $RAW ]; then
  dd if=/dev/zero of=$RAW/reset bs=1 count=1 2>/dev/null
  raw base_version 16 0
  raw reset_attributes 22 1
  raw clock_rate_set 20 5 0 4 48000000 0          # uart0 to 48 MHz, synchronous
  raw clock_rate_get 20 6 4
  raw power_notify 17 6 1 1                       # POWER_STATE_NOTIFY: media's state changes
  raw power_state_get 17 5 1
  raw power_state_set 17 4 0 1 0                  # POWER_STATE_SET: media on
  echo "E2E-NOTIFICATION $(timeout 5 dd if=$RAW/notification bs=256 count=1 2>/dev/null | od -An -tx4 -v | tr -s ' \n' ' ')"
  raw power_notify_off 17 6 1 0
  raw power_state_set_off 17 4 0 1 0x40000000     # media off again: the genpd consumer below owns it
else
  echo "E2E-RAW none"
fi

# cpufreq through the userspace governor: the second-highest frequency of policy0.
policy=/sys/devices/system/cpu/cpufreq/policy0
if [ -d $policy ]; then
  target=$(cat $policy/scaling_available_frequencies | tr -s ' ' '\n' | grep . | sort -n | tail -2 | head -1)
  echo userspace > $policy/scaling_governor
  echo "$target" > $policy/scaling_setspeed
  echo "E2E-CPUFREQ-SET policy0 $target governor=$(cat $policy/scaling_governor) cur=$(cat $policy/scaling_cur_freq)"
fi

# Linux's own drivers doing their normal work, and host-side changes the guest must see. The
# host answers each "E2E-STEP tag" after acting on it (tests/e2e/linux-guest.sh host_step); the
# first boot only ("extended"; later boots get "skip").
ask() { echo "E2E-STEP $1"; read -t 120 reply; }
ask_long() { echo "E2E-STEP $1"; read -t 600 reply; }   # the host boots a VM or restarts vscmi meanwhile
ask during            # the host's snapshot of what the basic checks did
ask extended
if [ "$reply" = "extended" ]; then
  # BASE_SET_PROTOCOL_PERMISSIONS from the host: the gpu device's clock (gpu_core, 6) only.
  ask deny-clock
  raw clock_get_denied 20 6 6
  raw clock_get_other 20 6 5
  ask allow-clock
  raw clock_get_allowed 20 6 6
  # One rounding rule: beyond the highest rate is OUT_OF_RANGE, on a discrete clock too.
  raw clock_set_beyond 20 5 0 4 1700000000 0
  raw clock_get_after_beyond 20 6 4

  # An injected fault (vscmi inject, docs/scenarios.md): the host makes the guest's next two
  # PERFORMANCE_LEVEL_SET answer BUSY. Linux's cpufreq gets them on two writes through the
  # userspace governor; the third write must reach the platform.
  policy1=/sys/devices/system/cpu/cpufreq/policy1
  if [ -d $policy1 ]; then
    echo userspace > $policy1/scaling_governor
    start=$(cat $policy1/scaling_cur_freq)
    others=$(cat $policy1/scaling_available_frequencies | tr -s ' ' '\n' | grep . | grep -vx "$start" | sort -n)
    a=$(echo "$others" | head -1); b=$(echo "$others" | head -2 | tail -1)
    ask inject-busy
    echo "$a" > $policy1/scaling_setspeed 2>/dev/null; rc1=$?
    cur1=$(cat $policy1/scaling_cur_freq)
    echo "$b" > $policy1/scaling_setspeed 2>/dev/null; rc2=$?
    cur2=$(cat $policy1/scaling_cur_freq)
    echo "$a" > $policy1/scaling_setspeed 2>/dev/null; rc3=$?
    cur3=$(cat $policy1/scaling_cur_freq)
    echo "E2E-INJECT start=$start a=$a b=$b rc1=$rc1 cur1=$cur1 rc2=$rc2 cur2=$cur2 rc3=$rc3 cur3=$cur3"
    ask inject-done
  else
    echo "E2E-INJECT no-policy1"
  fi

  # The scenario library (scenarios/*.toml, docs/scenarios.md): for each, the host starts
  # 'vscmi scenario run' and answers with the scenario's [guest] run script (base64); the guest runs
  # it and prints its output and the kernel's log lines since, then the host collects the verdicts.
  ask scenarios
  # The kernel's messages go to dmesg only meanwhile (they are printed below, prefixed): one printed
  # on the console in the middle of an E2E-STEP line would cut the host's question in two.
  printk=$(cat /proc/sys/kernel/printk)
  echo 1 > /proc/sys/kernel/printk
  for name in $reply; do
    ask "scenario-start:$name"
    echo "$reply" | base64 -d > /tmp/scenario.sh
    before=$(dmesg | wc -l)
    sh /tmp/scenario.sh > /tmp/scenario.out 2>&1; rc=$?
    sed "s/^/E2E-SCN-OUT $name /" /tmp/scenario.out
    dmesg | tail -n +$((before + 1)) | sed "s/^/E2E-SCN-LOG $name /"
    echo "E2E-SCN-DONE $name rc=$rc"
    ask "scenario-end:$name"
  done
  echo "$printk" > /proc/sys/kernel/printk

  # reg-userspace-consumer on vdd_gpu: enable, then disable, the host looks after each.
  consumer=/sys/bus/platform/devices/vgpu-consumer
  echo enabled > $consumer/state 2>/dev/null
  echo "E2E-REGCONSUMER enabled $(cat $consumer/state 2>/dev/null || echo missing)"
  ask reg-enabled
  echo disabled > $consumer/state 2>/dev/null
  echo "E2E-REGCONSUMER disabled $(cat $consumer/state 2>/dev/null || echo missing)"
  ask reg-disabled

  # A runtime-PM device in the media power domain: genpd powers the domain on, then off.
  pd=/sys/bus/platform/devices/pd-consumer/power
  ask pd-begin
  echo on > $pd/control 2>/dev/null; sleep 1
  echo "E2E-PDCONSUMER on $(cat $pd/runtime_status 2>/dev/null || echo missing)"
  ask pd-on
  echo auto > $pd/control 2>/dev/null; sleep 1
  echo "E2E-PDCONSUMER auto $(cat $pd/runtime_status 2>/dev/null || echo missing)"
  ask pd-off

  # The thermal framework reads cpu_temp through scmi-hwmon.
  for zone in /sys/class/thermal/thermal_zone*; do
    [ -e "$zone/type" ] && echo "E2E-THERMAL $(cat $zone/type) temp=$(cat $zone/temp 2>/dev/null || echo -) trip0=$(cat $zone/trip_point_0_temp 2>/dev/null || echo -)"
  done

  # The powercap limit written in the guest (1 W on big_cluster).
  for zone in /sys/class/powercap/*; do
    [ "$(cat $zone/name 2>/dev/null)" = "big_cluster" ] || continue
    echo 1000000 > $zone/constraint_0_power_limit_uw 2>/dev/null
    echo "E2E-POWERCAP $(basename $zone) limit=$(cat $zone/constraint_0_power_limit_uw 2>/dev/null || echo -)"
  done
  ask powercap

  # schedutil on a busy guest: it raises the levels, then lowers them when the load stops.
  for policy in /sys/devices/system/cpu/cpufreq/policy*; do echo schedutil > $policy/scaling_governor 2>/dev/null; done
  ( end=$(( $(date +%s) + 4 )); while [ "$(date +%s)" -lt "$end" ]; do :; done ) &
  ( end=$(( $(date +%s) + 4 )); while [ "$(date +%s)" -lt "$end" ]; do :; done ) &
  sleep 2
  echo "E2E-SCHEDUTIL busy $(cat /sys/devices/system/cpu/cpufreq/policy*/scaling_cur_freq | tr '\n' ' ')"
  wait
  sleep 3
  echo "E2E-SCHEDUTIL idle $(cat /sys/devices/system/cpu/cpufreq/policy*/scaling_cur_freq | tr '\n' ' ')"

  # Asynchronous sensor reads (vdd_cpu_curr) in a loop: each delayed response must follow its reply.
  for input in /sys/class/hwmon/hwmon*/curr*_input; do
    [ "$(cat "${input%_input}_label" 2>/dev/null)" = "vdd_cpu_curr" ] || continue
    i=0; while [ $i -lt 100 ]; do cat "$input" > /dev/null; i=$((i + 1)); done
    echo "E2E-ASYNC-READS 100 $(cat "$input")"
  done
  dmesg | grep -iE 'scmi|arm-scmi' | sed 's/^/E2E-DMESG-LATE /'
  ask extended-done
fi

# vscmi inside the guest (docs/host-backends.md): the arm64 binary talks to the outer platform
# through the kernel's raw interface, then builds a model of this guest's own sysfs (which the
# kernel's SCMI drivers fill from the outer vscmi) and serves it to agents inside the guest. A
# performance level and a power state set on that inner daemon reach the outer one through
# cpufreq and runtime PM. The first boot only.
ask inner
if [ "$reply" = "inner" ]; then
  # Linux's IIO_SCMI serves the outer model's 3-axis accelerometer as an IIO device.
  for d in /sys/bus/iio/devices/iio:device*; do
    [ -e "$d/name" ] && echo "E2E-IIO $(cat $d/name) x=$(cat $d/in_accel_x_raw 2>&1) y=$(cat $d/in_accel_y_raw 2>&1) z=$(cat $d/in_accel_z_raw 2>&1) scale=$(cat $d/in_accel_x_scale 2>/dev/null || cat $d/in_accel_scale 2>&1)"
    ls $d | tr '\n' ' ' | sed 's/^/E2E-IIO-FILES /'; echo
  done
fi
if [ "$reply" = "inner" ] && [ -x /bin/vscmi ]; then
  inner() { /bin/vscmi "$@" --connect unix:/tmp/inner.sock; }
  /bin/vscmi info --json --connect linux-raw > /tmp/info.json 2> /tmp/info.err
  echo "E2E-INNER-INFO rc=$? $(tr -d '\n ' < /tmp/info.json) $(tr '\n' ' ' < /tmp/info.err)"
  /bin/vscmi config from-host --control > /tmp/inner.toml 2> /tmp/from-host.err
  echo "E2E-INNER-FROMHOST rc=$? $(tr '\n' ' ' < /tmp/from-host.err)"
  grep -E '^(# (Found|CPU links)|name =|backend =|source =)' /tmp/inner.toml | sed 's/^/E2E-INNER-MODEL /'
  # A power domain on the runtime PM of the genpd consumer (from-host leaves devices to the author).
  printf '\n[[power_domain]]\nname = "pd_consumer"\nbackend = { kind = "runtime_pm", device = "bus/platform/devices/pd-consumer" }\ncontrol = true\n' >> /tmp/inner.toml
  # The powercap energy backend on the arm-scmi zone, which has no energy_uj: a read that fails on
  # real sysfs must be HARDWARE_ERROR for agents and one warning naming the path.
  zone=$(basename "$(ls -d /sys/class/powercap/*:* 2>/dev/null | head -1)")
  printf '\n[[sensor]]\nname = "zone_energy"\nsource = { kind = "powercap", zone = "%s" }\n' "$zone" >> /tmp/inner.toml
  /bin/vscmi serve --config /tmp/inner.toml --socket OSPM=/tmp/inner.sock > /tmp/inner.log 2>&1 &
  inner_pid=$!
  n=0; while [ $n -lt 120 ] && ! grep -q "ready:" /tmp/inner.log; do sleep 0.5; n=$((n + 1)); done
  sed 's/^/E2E-INNER-SERVE /' /tmp/inner.log
  for what in sensors perf voltages clocks powercap power; do
    inner $what --json > /tmp/inner-$what.json 2> /tmp/inner-$what.err
    echo "E2E-INNER-JSON $what rc=$? $(tr -d '\n' < /tmp/inner-$what.json | tr -s ' ') $(tr '\n' ' ' < /tmp/inner-$what.err)"
  done
  # Control: the second-lowest frequency of policy0 through the inner daemon (userspace governor).
  policy=/sys/devices/system/cpu/cpufreq/policy0
  target=$(tr -s ' ' '\n' < $policy/scaling_available_frequencies | grep . | sort -n | head -2 | tail -1)
  inner perf set-level policy0 "$target" > /tmp/inner-set.out 2>&1
  echo "E2E-INNER-SETLEVEL $target rc=$? governor=$(cat $policy/scaling_governor) cur=$(cat $policy/scaling_cur_freq) $(tr '\n' ' ' < /tmp/inner-set.out)"
  ask inner-perf
  pd=/sys/bus/platform/devices/pd-consumer/power
  inner power set-state pd_consumer on > /tmp/inner-pd.out 2>&1; rc=$?; sleep 1
  echo "E2E-INNER-PD on rc=$rc control=$(cat $pd/control) status=$(cat $pd/runtime_status) $(tr '\n' ' ' < /tmp/inner-pd.out)"
  ask inner-pd-on
  inner power set-state pd_consumer off > /tmp/inner-pd.out 2>&1; rc=$?; sleep 1
  echo "E2E-INNER-PD off rc=$rc control=$(cat $pd/control) status=$(cat $pd/runtime_status) $(tr '\n' ' ' < /tmp/inner-pd.out)"
  ask inner-pd-off
  kill $inner_pid 2>/dev/null; wait $inner_pid 2>/dev/null
  tail -3 /tmp/inner.log | sed 's/^/E2E-INNER-SERVE-END /'
fi

# The daemon as a service (tests/e2e/linux-guest.sh, service phase): while this loop reads every
# sensor and the CPU frequency through the drivers, the host kills vscmi (kill -9) and starts it
# again with its state file, boots a second VM added with 'vscmi ctl vm add', and reloads the
# model with a new source for cpu_temp. vscmi reconnects to QEMU's socket; this guest never reboots.
ask service
if [ "$reply" = "service" ]; then
  cpu_temp=-
  for input in /sys/class/hwmon/hwmon*/temp*_input; do
    [ "$(cat "${input%_input}_label" 2>/dev/null)" = "cpu_temp" ] && cpu_temp=$input
  done
  policy=/sys/devices/system/cpu/cpufreq/policy0
  # Every policy held where it is (userspace governor): the resource state then changes only by
  # what the host does, so the host can compare it across the kill.
  for p in /sys/devices/system/cpu/cpufreq/policy*; do echo userspace > $p/scaling_governor; done
  rm -f /tmp/stop
  echo "0 0" > /tmp/counts
  (
    ok=0; failed=0
    while [ ! -e /tmp/stop ]; do
      for f in /sys/class/hwmon/hwmon*/*_input $policy/cpuinfo_cur_freq; do
        if cat "$f" > /dev/null 2>&1; then ok=$((ok + 1)); else failed=$((failed + 1)); echo "E2E-SVC-FAILED $f at $(cat /proc/uptime)"; fi
      done
      echo "$ok $failed" > /tmp/counts.new && mv /tmp/counts.new /tmp/counts
    done
  ) &
  worker=$!
  sleep 2
  echo "E2E-SVC-COUNTS before-kill $(cat /tmp/counts)"
  ask_long svc-kill
  sleep 3
  echo "E2E-SVC-COUNTS after-restart $(cat /tmp/counts)"
  ask_long svc-vm2
  echo "E2E-SVC-COUNTS after-vm2 $(cat /tmp/counts)"
  touch /tmp/stop
  wait $worker
  echo "E2E-SVC-COUNTS end $(cat /tmp/counts)"
  # A write after the restart: the lowest frequency through the userspace governor.
  low=$(cat $policy/scaling_available_frequencies | tr -s ' ' '\n' | grep . | sort -n | head -1)
  echo userspace > $policy/scaling_governor
  echo "$low" > $policy/scaling_setspeed
  echo "E2E-SVC-CPUFREQ $low cur=$(cat $policy/scaling_cur_freq)"
  ask svc-cpufreq
  echo "E2E-SVC-TEMP before-reload $(cat $cpu_temp 2>/dev/null || echo -)"
  ask_long svc-reload
  echo "E2E-SVC-TEMP after-reload $(cat $cpu_temp 2>/dev/null || echo -)"
  dmesg | grep -iE 'scmi|arm-scmi' | sed 's/^/E2E-DMESG-SVC /'
  ask svc-done
fi

# The host answers "reboot" (this VM reboots: the device is stopped and started again by QEMU)
# or "go" (power off).
echo "E2E-WAIT"
read -t 120 answer
echo "E2E-END $answer"
if [ "$answer" = "reboot" ]; then
  reboot -f
fi
if [ "$answer" = "await-shutdown" ] || [ "$answer" = "await-scenario" ]; then
  # The host asks this VM to shut down (vscmi system shutdown --agent guest, or a shutdown scenario
  # of the library): the kernel's scmi_power_control runs /sbin/poweroff (an orderly poweroff) for a
  # graceful request; this script only waits (less for a scenario: Linux ignores a forced request).
  echo "E2E-AWAITING-SHUTDOWN"
  if [ "$answer" = "await-scenario" ]; then sleep 30; else sleep 100; fi
  echo "E2E-NO-SHUTDOWN-CAME"
fi
poweroff -f

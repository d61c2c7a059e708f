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

# The host answers "reboot" (this VM reboots: the device is stopped and started again by QEMU)
# or "go" (power off).
echo "E2E-WAIT"
read -t 120 answer
echo "E2E-END $answer"
if [ "$answer" = "reboot" ]; then
  reboot -f
fi
poweroff -f

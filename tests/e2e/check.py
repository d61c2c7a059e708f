#!/usr/bin/env python3
"""Checks what the e2e guest printed (console.log) against the device model and the host's view.

Usage: check.py WORKDIR   (console.log, serve.log, model.toml, before-*.json, during-*.json)
Prints one "E2E-CHECK PASS|FAIL name[: detail]" line per check, then "E2E: N passed, M failed".
"""
import json
import pathlib
import re
import sys
import tomllib

work = pathlib.Path(sys.argv[1])
console = (work / "console.log").read_text(errors="replace") if (work / "console.log").exists() else ""
serve_log = (work / "serve.log").read_text(errors="replace") if (work / "serve.log").exists() else ""
model = tomllib.loads((work / "model.toml").read_text())


def snapshot(when, what):
    path = work / f"{when}-{what}.json"
    return json.loads(path.read_text()) if path.exists() else []


# console.log holds two boots (the second after a reboot inside QEMU); console-restart.log one
# more boot in a new QEMU. The detailed checks look at the first boot.
boots = console.split("E2E-BEGIN")
lines = [l.strip() for l in (boots[0] + ("E2E-BEGIN" + boots[1] if len(boots) > 1 else "")).splitlines()]
restart_log = work / "console-restart.log"
later_boots = {"after the guest rebooted": "E2E-BEGIN" + boots[2] if len(boots) > 2 else "",
               "after QEMU restarted (device on virtio-mmio)": restart_log.read_text(errors="replace") if restart_log.exists() else ""}
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"E2E-CHECK {'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail and not ok else ""))


def tagged(tag):
    prefix = tag + " "
    return [l[len(prefix):] for l in lines if l.startswith(prefix)]


# --- boot and SCMI core -------------------------------------------------------------------
check("guest booted and reached its checks", any(l.startswith("E2E-WAIT") for l in lines),
      "no E2E-WAIT on the console; last lines: " + " | ".join(lines[-8:]))
check("guest powered off after the host looked", any(l.startswith("E2E-END") for l in lines))
dmesg = tagged("E2E-DMESG")
platform = model["platform"]
core = f"SCMI Protocol v2.1 '{platform['vendor']}:{platform['sub_vendor']}' Firmware version 0x{platform['implementation_version']:x}"
check("SCMI core line names our vendor, sub-vendor and version", any(core in l for l in dmesg), f"expected '{core}'")
bad = re.compile(r"error|fail|timed out|timeout|not implemented|not supported|unexpected|unknown|invalid", re.I)
complaints = [l for l in dmesg if bad.search(l) and "max-rx-timeout" not in l]
check("no SCMI error, timeout or not-implemented line", not complaints, " | ".join(complaints[:5]))

# --- every protocol bound ------------------------------------------------------------------
bound = {l.split()[0] for l in tagged("E2E-BOUND")}
for driver, protocol in [("scmi-power-domain", "0x11"), ("scmi-system-power", "0x12"), ("scmi-cpufreq", "0x13"),
                         ("scmi-perf-domain", "0x13"), ("scmi-clocks", "0x14"), ("scmi-hwmon", "0x15"),
                         ("scmi-reset", "0x16"), ("scmi-regulator", "0x17"), ("scmi-powercap", "0x18"),
                         ("scmi-pinctrl", "0x19")]:
    check(f"protocol {protocol} bound to {driver}", driver in bound, f"bound drivers: {sorted(bound)}")

# --- hwmon ---------------------------------------------------------------------------------
scale = {"degrees_c": 1e3, "volts": 1e3, "amps": 1e3, "watts": 1e6, "joules": 1e6}
hwmon = {}
for entry in tagged("E2E-HWMON"):
    parts = entry.split()
    if len(parts) >= 4:
        hwmon[parts[2]] = (parts[1], int(parts[3]))
during_sensors = {s["name"]: s for s in snapshot("during", "sensors")}
before_sensors = {s["name"]: s for s in snapshot("before", "sensors")}
for sensor in model.get("sensor", []):
    name = sensor["name"]
    host = during_sensors.get(name)
    if host is None or host["unit"] not in scale:
        continue
    def hwmon_units(reading):
        return reading["value"] * 10 ** reading["unit_exponent"] * scale[reading["unit"]]
    earlier = before_sensors.get(name, host)
    low, high = sorted((hwmon_units(earlier), hwmon_units(host)))
    if name not in hwmon:
        check(f"hwmon input for sensor {name}", False, f"no hwmon channel labelled {name}; have {sorted(hwmon)}")
        continue
    file, value = hwmon[name]
    # The host read before the boot and again after the guest: the guest's reading lies between
    # (a ramp), or near them within the source's movement (a sine, a random walk): 20 % slack.
    slack = max(abs(high) * 0.20, 1) if low != high else 0
    check(f"hwmon {file} ({name}) reads the model's value", low - slack <= value <= high + slack,
          f"guest {value}, host {low:.0f}..{high:.0f} (slack {slack:.0f})")

# --- clocks ----------------------------------------------------------------------------------
clk_rates = {}
for entry in tagged("E2E-CLK"):
    parts = entry.split()
    if len(parts) >= 5 and parts[4].isdigit():
        clk_rates[parts[0]] = int(parts[4])
for clock in snapshot("before", "clocks"):
    name = clock["name"]
    check(f"clock {name} in clk_summary at the model's rate", clk_rates.get(name) == clock["rate_hz"],
          f"guest {clk_rates.get(name)}, model {clock['rate_hz']}")
raw = {}
for entry in tagged("E2E-RAW"):
    parts = entry.split()
    raw[parts[0]] = [int(w, 16) for w in parts[1:]]
uart = next((c for c in snapshot("during", "clocks") if c["name"] == "uart0"), None)
check("a clock rate set from the guest is seen on the host", uart is not None and uart["rate_hz"] == 48_000_000,
      f"host sees uart0 at {uart and uart['rate_hz']}")

# --- cpufreq ---------------------------------------------------------------------------------
policies = {}
for entry in tagged("E2E-CPUFREQ"):
    parts = entry.split()
    fields = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    policies[parts[0]] = fields
perf = model.get("perf", [])
check("one cpufreq policy per performance domain", len(policies) == len(perf), f"policies {sorted(policies)}")
for index, domain in enumerate(perf):
    ratio = domain["sustained_freq_khz"] / domain["sustained_level"]
    expected = sorted(int(opp["level"] * ratio) for opp in domain["opps"])
    policy = policies.get(f"policy{index}", {})
    # OPPs above the sustained frequency are boost frequencies: listed apart by the kernel.
    available = sorted(int(f) for key in ("available", "boost") for f in policy.get(key, "").split(",") if f)
    check(f"cpufreq policy{index} has {domain['name']}'s OPP frequencies", available == expected,
          f"guest {available}, model {expected}")
setspeed = tagged("E2E-CPUFREQ-SET")
if setspeed and perf:
    target = int(setspeed[0].split()[1])
    ratio = perf[0]["sustained_freq_khz"] / perf[0]["sustained_level"]
    host = next((d for d in snapshot("during", "perf") if d["name"] == perf[0]["name"]), {})
    check("the userspace governor's speed is the level the host reports", host.get("level") == int(target / ratio),
          f"guest set {target} kHz, host level {host.get('level')}")
else:
    check("the userspace governor's speed is the level the host reports", False, "the guest set no speed")

# --- regulators, resets, power domains ----------------------------------------------------------
regulators = {}
for entry in tagged("E2E-REGULATOR"):
    parts = entry.split()
    regulators[parts[0]] = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
for domain in model.get("voltage_domain", []):
    got = regulators.get(domain["name"], {}).get("microvolts")
    check(f"regulator {domain['name']} at the model's level", got == str(domain["level_uv"]),
          f"guest {got}, model {domain['level_uv']}")
resets = raw.get("reset_attributes", [])
check("reset domains: the driver bound and the guest sees the model's count",
      "scmi-reset" in bound and len(resets) >= 3 and resets[1] == 0 and resets[2] & 0xFFFF == len(model.get("reset_domain", [])),
      f"raw RESET_PROTOCOL_ATTRIBUTES reply {resets}")
genpd_names = {l.split()[0] for l in tagged("E2E-GENPD") if l.split()}
for domain in model.get("power_domain", []):
    check(f"power domain {domain['name']} in pm_genpd", domain["name"] in genpd_names, f"genpd lists {sorted(genpd_names)}")

# --- raw mode ------------------------------------------------------------------------------------
version = raw.get("base_version", [])
check("raw: BASE PROTOCOL_VERSION", len(version) == 3 and version[1] == 0 and version[2] == 0x20001, f"reply {version}")
rate_set, rate_get = raw.get("clock_rate_set", []), raw.get("clock_rate_get", [])
check("raw: CLOCK_RATE_SET then CLOCK_RATE_GET", len(rate_set) == 2 and rate_set[1] == 0 and len(rate_get) == 4 and rate_get[2] == 48_000_000,
      f"replies {rate_set} {rate_get}")
notification = [int(w, 16) for w in (tagged("E2E-NOTIFICATION") or [""])[0].split()]
check("raw: a notification round trip (POWER_STATE_NOTIFY, POWER_STATE_SET, POWER_STATE_CHANGED)",
      len(notification) == 4 and notification[0] & 0x3FFFF == 0x4700 and notification[2] == 1 and notification[3] == 0,
      f"notification {[hex(w) for w in notification]}, set reply {raw.get('power_state_set')}")

# --- the same device again: guest reboot (QEMU stops and restarts the rings), new QEMU (reconnect) ---
for when, text in later_boots.items():
    again = [l.strip() for l in text.splitlines()]
    again_dmesg = [l[len("E2E-DMESG "):] for l in again if l.startswith("E2E-DMESG ")]
    again_bound = {l.split()[1] for l in again if l.startswith("E2E-BOUND ") and len(l.split()) > 1}
    again_raw = {l.split()[1]: [int(w, 16) for w in l.split()[2:]] for l in again if l.startswith("E2E-RAW ") and len(l.split()) > 1}
    version = again_raw.get("base_version", [])
    check(f"{when}: the guest reached its checks", any(l.startswith("E2E-WAIT") for l in again))
    check(f"{when}: SCMI core line and every protocol bound",
          any(core in l for l in again_dmesg) and len(again_bound) >= 10, f"bound {sorted(again_bound)}")
    check(f"{when}: raw BASE PROTOCOL_VERSION", len(version) == 3 and version[1] == 0 and version[2] == 0x20001, f"reply {version}")
    complaints = [l for l in again_dmesg if bad.search(l) and "max-rx-timeout" not in l]
    check(f"{when}: no SCMI error line", not complaints, " | ".join(complaints[:5]))

# --- the daemon ----------------------------------------------------------------------------------
trouble = [l for l in serve_log.splitlines() if re.search(r"\b(warn|fail|crit)\b:", l)]
check("vscmi serve logged no warning or error", not trouble, " | ".join(trouble[:5]))

passed = sum(results)
print(f"E2E: {passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)

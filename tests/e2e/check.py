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

# What tests/e2e/consumers.dts asks of the guest's own drivers.
ASSIGNED_RATES = {"spi0": 25_000_000, "gpu_core": 750_000_000}
FIXED_REGULATORS = {"vdd_gpu": 850_000}
DENIED, OUT_OF_RANGE = 0xFFFFFFFD, 0xFFFFFFFB


def events(after=None, until=None):
    """Notifications the host (OSPM) received during the run, oldest first; between two guest
    steps when named (marks.txt: the events log's length at each step)."""
    path = work / "events.jsonl"
    marks_path = work / "marks.txt"
    marks = dict(l.split()[:2] for l in marks_path.read_text().splitlines() if len(l.split()) >= 2) if marks_path.exists() else {}
    lines = path.read_text().splitlines() if path.exists() else []
    lines = lines[int(marks.get(after, 0)):int(marks[until]) if until in marks else None]
    found = []
    for line in lines:
        try:
            found.append(json.loads(line)["message"])
        except (ValueError, KeyError):
            pass
    return found


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
# An empty console must not pass as "no error".
check("no SCMI error, timeout or not-implemented line", dmesg and not complaints, " | ".join(complaints[:5]) or "no SCMI lines on the console")

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
# Without the host's snapshots every comparison below would be skipped: that is a failure.
for when in ("before", "during"):
    missing = [what for what in ("clocks", "perf", "sensors", "power", "voltages", "resets") if not snapshot(when, what)]
    check(f"the host took its '{when}' snapshots", not missing, f"missing or empty: {missing}")
for sensor in model.get("sensor", []):
    name = sensor["name"]
    host = during_sensors.get(name)
    if host is None or host["unit"] not in scale:
        continue
    def model_range():
        """Where the model's source can be (raw units): a sine's whole swing, a walk's bounds; a
        ramp only rises, so between the host's reads before and after the guest's."""
        source = sensor.get("source", {})
        kind = source.get("kind")
        if kind == "constant":
            return source["value"], source["value"]
        if kind == "sine":
            return source["base"] - source["amplitude"], source["base"] + source["amplitude"]
        if kind == "random_walk":
            return source["min"], source["max"]
        if kind == "ramp" and name in before_sensors:
            return before_sensors[name]["value"], host["value"]
        return None
    bounds = model_range()
    if name not in hwmon:
        check(f"hwmon input for sensor {name}", False, f"no hwmon channel labelled {name}; have {sorted(hwmon)}")
        continue
    file, value = hwmon[name]
    if bounds is None:
        check(f"hwmon {file} ({name}) reads the model's value", False, f"no range known for source {sensor.get('source')}")
        continue
    low, high = sorted(round(b * 10 ** host["unit_exponent"] * scale[host["unit"]]) for b in bounds)
    check(f"hwmon {file} ({name}) reads within its source's range", low <= value <= high, f"guest {value}, range {low}..{high}")

# --- clocks ----------------------------------------------------------------------------------
clk_rates = {}
for entry in tagged("E2E-CLK"):
    parts = entry.split()
    if len(parts) >= 5 and parts[4].isdigit():
        clk_rates[parts[0]] = int(parts[4])
for clock in snapshot("before", "clocks"):
    name = clock["name"]
    expected = ASSIGNED_RATES.get(name, clock["rate_hz"])
    check(f"clock {name} in clk_summary at the {'assigned' if name in ASSIGNED_RATES else 'model' + chr(39) + 's'} rate",
          clk_rates.get(name) == expected, f"guest {clk_rates.get(name)}, expected {expected}")
during_clocks = {c["name"]: c for c in snapshot("during", "clocks")}
for name, rate in ASSIGNED_RATES.items():
    # Linux 6.12 sets these asynchronously (max_async_req 16): refused, the rate would silently stay.
    check(f"assigned-clocks: the host sees {name} at {rate} Hz (clk_set_rate by the guest's clk framework)",
          during_clocks.get(name, {}).get("rate_hz") == rate, f"host sees {during_clocks.get(name, {}).get('rate_hz')}")
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
    guest_cur = dict(p.split("=", 1) for p in setspeed[0].split()[2:] if "=" in p).get("cur")
    check("the userspace governor's speed is the level the host reports, and the guest's cur= reads it back",
          host.get("level") == int(target / ratio) and guest_cur == str(target),
          f"guest set {target} kHz and reads cur={guest_cur}, host level {host.get('level')}")
else:
    check("the userspace governor's speed is the level the host reports", False, "the guest set no speed")

# --- regulators, resets, power domains ----------------------------------------------------------
regulators = {}
for entry in tagged("E2E-REGULATOR"):
    parts = entry.split()
    regulators[parts[0]] = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
for domain in model.get("voltage_domain", []):
    got = regulators.get(domain["name"], {}).get("microvolts")
    expected = FIXED_REGULATORS.get(domain["name"], domain["level_uv"])
    check(f"regulator {domain['name']} at the {'constrained' if domain['name'] in FIXED_REGULATORS else 'model' + chr(39) + 's'} level",
          got == str(expected), f"guest {got}, expected {expected}")
resets = raw.get("reset_attributes", [])
check("reset domains: the driver bound and the guest sees the model's count",
      "scmi-reset" in bound and len(resets) >= 3 and resets[1] == 0 and resets[2] & 0xFFFF == len(model.get("reset_domain", [])),
      f"raw RESET_PROTOCOL_ATTRIBUTES reply {resets}")
genpd = {l.split()[0]: l.split()[1] for l in tagged("E2E-GENPD") if len(l.split()) >= 2}
for domain in model.get("power_domain", []):
    # No device uses them at boot (the genpd consumer is runtime-suspended): genpd powers every
    # domain off at late init, so each must read "off", whatever the model's initial state.
    state = genpd.get(domain["name"], "missing")
    check(f"power domain {domain['name']} in pm_genpd, off after genpd's late-init power-off", state.startswith("off"), f"genpd says {state}; lists {sorted(genpd)}")
host_power = {d.get("name") for d in snapshot("during", "power")}
check("the host's power domains are the model's", host_power == {d["name"] for d in model.get("power_domain", [])}, f"host {sorted(host_power)}")
host_resets = {d.get("name") for d in snapshot("during", "resets")}
check("the host's reset domains are the model's", host_resets == {d["name"] for d in model.get("reset_domain", [])}, f"host {sorted(host_resets)}")
host_voltages = {v.get("name"): v for v in snapshot("during", "voltages")}
for name, fields in regulators.items():
    if name in host_voltages:
        on = fields.get("state") == "enabled"
        check(f"regulator {name}: the guest's state is the host's mode", on == (host_voltages[name].get("mode") == "on"),
              f"guest state={fields.get('state')}, host mode={host_voltages[name].get('mode')}")

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

# --- Linux's own drivers and host-initiated changes (the first boot's "extended" steps) -----------
def voltage(when, name):
    return next((v for v in snapshot(when, "voltages") if v.get("name") == name), {})


def event_list(name, after=None, until=None, **fields):
    return [e for e in events(after, until) if e.get("message") == name and all(e.get("fields", {}).get(k) == v for k, v in fields.items())]


for name, uv in FIXED_REGULATORS.items():
    host = voltage("during", name)
    check(f"regulator constraints: the host sees {name} at {uv} uV", host.get("level_uv") == uv, f"host {host}")
enabled, disabled = voltage("reg-enabled", "vdd_gpu"), voltage("reg-disabled", "vdd_gpu")
consumer = dict(l.split()[:2] for l in tagged("E2E-REGCONSUMER") if len(l.split()) >= 2)
check("reg-userspace-consumer: the guest enables vdd_gpu and the host sees it on", consumer.get("enabled") == "enabled" and enabled.get("mode") == "on",
      f"guest {consumer}, host {enabled}")
check("reg-userspace-consumer: the guest disables vdd_gpu and the host sees it off", consumer.get("disabled") == "disabled" and disabled.get("mode") == "off",
      f"guest {consumer}, host {disabled}")

media = next((i for i, d in enumerate(model.get("power_domain", [])) if d["name"] == "media"), None)
on = [e["fields"]["state_type"] for e in event_list("POWER_STATE_CHANGED", "pd-begin", "pd-on", domain_id=media, agent_id=2)]
off = [e["fields"]["state_type"] for e in event_list("POWER_STATE_CHANGED", "pd-on", "pd-off", domain_id=media, agent_id=2)]
pd = dict(l.split()[:2] for l in tagged("E2E-PDCONSUMER") if len(l.split()) >= 2)
check("genpd: a runtime-PM consumer turns the media domain on, then off; the host sees each transition",
      pd.get("on") == "active" and pd.get("auto") == "suspended" and on == [0] and off == [1],
      f"guest {pd}, host POWER_STATE_CHANGED state_types {on} then {off}")

zones = {l.split()[0]: dict(p.split("=", 1) for p in l.split()[1:] if "=" in p) for l in tagged("E2E-THERMAL") if l.split()}
cpu_zone = zones.get("cpu-thermal", {})
host_cpu = [s for s in (before_sensors.get("cpu_temp"), during_sensors.get("cpu_temp")) if s]
# The guest reads the sine at another moment than the host's snapshots: what must hold is that the
# value is one the model's source can produce (base ± amplitude), and that the host saw it too.
cpu_source = next((s["source"] for s in model.get("sensor", []) if s["name"] == "cpu_temp"), {})
cpu_range = (cpu_source.get("base", 0) - cpu_source.get("amplitude", 0), cpu_source.get("base", 0) + cpu_source.get("amplitude", 0))
check("thermal-zones: the thermal framework reads cpu_temp through scmi-hwmon",
      cpu_zone.get("temp", "-").lstrip("-").isdigit() and host_cpu and all(cpu_range[0] <= s["value"] <= cpu_range[1] for s in host_cpu)
      and cpu_range[0] <= int(cpu_zone["temp"]) <= cpu_range[1] and cpu_zone.get("trip0") == "90000",
      f"guest {cpu_zone}, host {[s['value'] for s in host_cpu]}, the source's range {cpu_range}")

caps = {c.get("name"): c for c in snapshot("powercap", "powercap")}
big_perf = next((d for d in snapshot("powercap", "perf") if d.get("name") == "big"), {})
big_model = next((d for d in perf if d["name"] == "big"), {"opps": []})
cost = {o["level"]: o["power_mw"] for o in big_model["opps"]}
check("powercap: the limit written in the guest's sysfs is the host's cap, and big's level fits it",
      caps.get("big_cluster", {}).get("cap") == 1000 and cost.get(big_perf.get("level"), 10 ** 9) <= 1000,
      f"guest {tagged('E2E-POWERCAP')}, host cap {caps.get('big_cluster')}, big level {big_perf.get('level')}")

levels = {(e["fields"].get("domain_id"), e["fields"].get("performance_level")) for e in event_list("PERFORMANCE_LEVEL_CHANGED", agent_id=2)}
check("schedutil on a busy guest changes performance levels; the host sees them", len(levels) >= 3,
      f"levels the guest set: {sorted(levels)}; guest {tagged('E2E-SCHEDUTIL')}")

rates = {e["fields"].get("clock_id"): e["fields"].get("rate") for e in event_list("CLOCK_RATE_CHANGED", agent_id=2)}
check("asynchronous CLOCK_RATE_SET from the guest's clk framework is applied (CLOCK_RATE_CHANGED seen by the host)",
      rates.get(5) == ASSIGNED_RATES["spi0"] and rates.get(6) == ASSIGNED_RATES["gpu_core"], f"rates {rates}")

def status(name):
    reply = raw.get(name, [])
    return reply[1] if len(reply) > 1 else None
check("BASE_SET_PROTOCOL_PERMISSIONS: the gpu device's clock is DENIED to the guest, its other clocks are not, and it comes back",
      status("clock_get_denied") == DENIED and status("clock_get_other") == 0 and status("clock_get_allowed") == 0,
      f"statuses {[hex(status(n) or 0) for n in ('clock_get_denied', 'clock_get_other', 'clock_get_allowed')]}")
after = raw.get("clock_get_after_beyond", [])
check("a rate beyond a discrete clock's highest is OUT_OF_RANGE and changes nothing",
      status("clock_set_beyond") == OUT_OF_RANGE and len(after) == 4 and after[2] == 48_000_000, f"set {raw.get('clock_set_beyond')}, get {after}")
reads = tagged("E2E-ASYNC-READS")
late = tagged("E2E-DMESG-LATE")
invalid = [l for l in late if "Invalid message type" in l or "out of order" in l.lower() or "OoO" in l]
check("asynchronous sensor reads in a loop: no delayed response before its reply (no 'Invalid message type')",
      reads and not invalid, f"reads {reads}; {' | '.join(invalid[:3])}")
# What the scenario library provoked on purpose (timeouts, late and wrong replies) is judged there.
provoked = {l.split(" ", 2)[2].strip() for l in lines if l.startswith("E2E-SCN-LOG ") and len(l.split(" ", 2)) == 3}
late_complaints = [l for l in late if bad.search(l) and "max-rx-timeout" not in l and l.strip() not in provoked]
check("no SCMI error after the guest's drivers did their work", late and not late_complaints, " | ".join(late_complaints[:5]) or "no SCMI lines on the console")

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
    check(f"{when}: no SCMI error line", again_dmesg and not complaints, " | ".join(complaints[:5]) or "no SCMI lines on the console")

# --- boots in a row under load from a second VM -------------------------------------------------------
boots_log = work / "console-boots.log"
boots_text = boots_log.read_text(errors="replace") if boots_log.exists() else ""
boots_wanted = int((work / "boots.txt").read_text()) if (work / "boots.txt").exists() else 0
boots_done = boots_text.count("E2E-WAIT")
invalid = [l for l in boots_text.splitlines() if "Invalid message type" in l]
async_reads = sum(1 for l in boots_text.splitlines() if l.startswith("E2E-HWMON") and "vdd_cpu_curr" in l)
second_vm = bool(re.search(r"vm2\.sock\S*: agent 3 session opened", serve_log))
check(f"{boots_wanted} boots in a row while a second VM loads the daemon: every boot read vdd_cpu_curr (asynchronous), no 'Invalid message type'",
      boots_wanted > 0 and boots_done == boots_wanted and async_reads == boots_wanted and not invalid and second_vm,
      f"{boots_done} boots reached their checks, {async_reads} async reads, {len(invalid)} invalid: {' | '.join(invalid[:2])}; second VM served: {second_vm}")

# --- a host-initiated graceful shutdown (vscmi system shutdown --agent guest), in the restarted VM -------
restart_text = restart_log.read_text(errors="replace") if restart_log.exists() else ""
shutdown_out = (work / "shutdown.out").read_text(errors="replace").strip() if (work / "shutdown.out").exists() else ""
check("vscmi system shutdown --agent guest: the VM's scmi_power_control powers off in an orderly way and QEMU exits on its own",
      "E2E-AWAITING-SHUTDOWN" in restart_text and "E2E-ORDERLY-POWEROFF" in restart_text and "E2E-NO-SHUTDOWN-CAME" not in restart_text
      and (work / "console-restart.log.exited").exists(),
      f"host: {shutdown_out}; guest tail: {' | '.join(restart_text.strip().splitlines()[-4:])}")

# --- the same guest against SCMI 2.0 (scmi_release = "2.0") ------------------------------------
old_log = work / "console-2.0.log"
old = [l.strip() for l in old_log.read_text(errors="replace").splitlines()] if old_log.exists() else []
old_dmesg = [l[len("E2E-DMESG "):] for l in old if l.startswith("E2E-DMESG ")]
old_bound = {l.split()[1] for l in old if l.startswith("E2E-BOUND ") and len(l.split()) > 1}
old_raw = {l.split()[1]: [int(w, 16) for w in l.split()[2:]] for l in old if l.startswith("E2E-RAW ") and len(l.split()) > 1}
check("SCMI 2.0: the guest reached its checks", any(l.startswith("E2E-WAIT") for l in old))
old_core = f"SCMI Protocol v2.0 '{platform['vendor']}:{platform['sub_vendor']}'"
check("SCMI 2.0: the SCMI core reports Base v2.0", any(old_core in l for l in old_dmesg), f"expected '{old_core}'")
expected_2_0 = {"scmi-power-domain", "scmi-system-power", "scmi-cpufreq", "scmi-perf-domain", "scmi-clocks", "scmi-hwmon", "scmi-reset"}
check("SCMI 2.0: every protocol 2.0 has binds (power, system, perf, clock, sensor, reset)", expected_2_0 <= old_bound,
      f"missing {sorted(expected_2_0 - old_bound)}; bound {sorted(old_bound)}")
check("SCMI 2.0: nothing newer binds (no regulator, powercap or pinctrl)", not old_bound & {"scmi-regulator", "scmi-powercap", "scmi-pinctrl"},
      f"bound {sorted(old_bound)}")
old_complaints = [l for l in old_dmesg if bad.search(l) and "max-rx-timeout" not in l]
check("SCMI 2.0: zero SCMI errors", old and not old_complaints, " | ".join(old_complaints[:5]))
version = old_raw.get("base_version", [])
check("SCMI 2.0: raw BASE PROTOCOL_VERSION is 0x20000", len(version) == 3 and version[1] == 0 and version[2] == 0x20000, f"reply {version}")
old_hwmon = {l.split()[3]: int(l.split()[4]) for l in old if l.startswith("E2E-HWMON ") and len(l.split()) >= 5}
want = {s["name"] for s in model.get("sensor", []) if s.get("type") in ("temperature", "voltage", "current", "power", "energy")}
check("SCMI 2.0: hwmon reads every sensor through v1.0 descriptors and 8-byte readings", want <= set(old_hwmon),
      f"hwmon has {sorted(old_hwmon)}, want {sorted(want)}")
old_clocks = {l.split()[1] for l in old if l.startswith("E2E-CLK ") and len(l.split()) > 1}
check("SCMI 2.0: clk-scmi registers every clock (v1.0 attributes)", {c["name"] for c in model.get("clock", [])} <= old_clocks,
      f"clk_summary has {sorted(old_clocks)}")
info_path = work / "info-2.0.json"
info = json.loads(info_path.read_text()) if info_path.exists() else {}
check("SCMI 2.0: vscmi info names the release", info.get("scmi_release") == "2.0", f"info {info.get('scmi_release')}")

# --- the daemon as a service: kill -9 under a busy guest, a VM added at run time, a reload ------------
def read(name):
    path = work / name
    return path.read_text(errors="replace") if path.exists() else ""


svc = [l.strip() for l in read("console-svc.log").splitlines()]
svc_log = read("serve-svc.log")
counts = {}
for l in svc:
    parts = l.split()
    if l.startswith("E2E-SVC-COUNTS ") and len(parts) == 4:
        counts[parts[1]] = (int(parts[2]), int(parts[3]))
ok_at = {phase: counts.get(phase, (0, 0))[0] for phase in ("before-kill", "after-restart", "after-vm2", "end")}
failed = counts.get("end", (0, 0))[1]
failures = [l for l in svc if l.startswith("E2E-SVC-FAILED ")]
reconnect = read("svc-reconnect.txt").split()
reconnect_s = f"{float(reconnect[1]) - float(reconnect[0]):.1f} s" if len(reconnect) == 2 else "never"
print(f"e2e: service: the guest read {ok_at['end']} values through its drivers; {failed} read(s) failed around the kill "
      f"(timed out in flight): {' | '.join(failures[:3]) or 'none'}; the device was back {reconnect_s} after the kill", file=sys.stderr)
check("service: the guest ran through the kill -9, a second VM and a reload in one boot (the restarted vscmi reconnected to QEMU)",
      "".join(svc).count("E2E-BEGIN") == 1 and any(l.startswith("E2E-STEP svc-done") for l in svc) and any(l.startswith("E2E-END") for l in svc)
      and "state: restored from" in svc_log and reconnect_s != "never",
      f"boots {''.join(svc).count('E2E-BEGIN')}, reconnect {reconnect_s}, last lines: {' | '.join(svc[-4:])}")
check(f"service: the guest's drivers kept working across the kill -9 ({failed} read(s) timed out, at most the one in flight)",
      0 < ok_at["before-kill"] < ok_at["after-restart"] < ok_at["after-vm2"] <= ok_at["end"] and failed <= 1,
      f"reads that succeeded by phase {ok_at}, failed {failed}: {' | '.join(failures[:3])}")
before, after = read("svc-state-before.txt"), read("svc-state-after.txt")
check("service: the resource state the host reports before the kill and after the restart is identical",
      "sha256 " in before and before == after, f"{len(before)} bytes before, {len(after)} after")
svc_speed = [l.split() for l in svc if l.startswith("E2E-SVC-CPUFREQ ")]
svc_perf = json.loads(read("svc-perf.json") or "[]")
little = next((d for d in svc_perf if perf and d["name"] == perf[0]["name"]), {})
if svc_speed and perf:
    ratio = perf[0]["sustained_freq_khz"] / perf[0]["sustained_level"]
    check("service: after the restart a cpufreq write from the guest is the level the restarted daemon reports",
          little.get("level") == int(int(svc_speed[0][1]) / ratio) and svc_speed[0][2] == f"cur={svc_speed[0][1]}",
          f"guest {svc_speed[0]}, host level {little.get('level')}")
else:
    check("service: after the restart a cpufreq write from the guest is the level the restarted daemon reports", False, "the guest set no speed")
vm2 = [l.strip() for l in read("console-vm2.log").splitlines()]
vm2_bound = {l.split()[1] for l in vm2 if l.startswith("E2E-BOUND ") and len(l.split()) > 1}
vm2_hwmon = [l for l in vm2 if l.startswith("E2E-HWMON ")]
check("service: a second VM added with 'vscmi ctl vm add' (a new agent) boots and binds while the first runs",
      "serving vm2 (agent id 4)" in read("svc-vm-add.out") and "E2E-QUICK-END" in vm2 and len(vm2_bound) >= 10 and len(vm2_hwmon) >= 4
      and read("svc-vm2-sessions.txt").strip() == "1" and re.search(r"frontend connected \(agent vm2, 4\)", svc_log),
      f"add: {read('svc-vm-add.out').strip()}; bound {sorted(vm2_bound)}; hwmon {len(vm2_hwmon)}; sessions seen {read('svc-vm2-sessions.txt').strip()}")
check("service: 'vscmi ctl vm remove' disconnects it and removes its socket",
      "removed vm2" in read("svc-vm-remove.out") and read("svc-vm2-socket.txt").strip() == "gone",
      f"remove: {read('svc-vm-remove.out').strip()}; socket {read('svc-vm2-socket.txt').strip()}")
temps = dict(l.split()[1:3] for l in svc if l.startswith("E2E-SVC-TEMP ") and len(l.split()) == 3)
check("service: a reload that gives cpu_temp a constant source is read by the running guest without a reconnect",
      temps.get("after-reload") == "71000" and temps.get("before-reload") not in (None, "-", "71000")
      and "sensor 'cpu_temp': source sine" in read("svc-reload.out")
      and read("svc-connects-reload.txt").strip() != "" and read("svc-connects-reload.txt").strip() == read("svc-connects-done.txt").strip(),
      f"guest read {temps}; reload: {read('svc-reload.out').strip()[:200]}; connects {read('svc-connects-reload.txt').strip()} then {read('svc-connects-done.txt').strip()}")
svc_complaints = [l for l in svc if l.startswith("E2E-DMESG-SVC ") and bad.search(l) and "max-rx-timeout" not in l]
# A timeout is what a command in flight at the kill -9 gets. The script's reads are counted above;
# the kernel's own (the thermal zone's poll, a sensor's delayed response) may be in flight too, one
# each, so two timeouts beyond the script's are allowed. Any other complaint fails.
svc_timeouts = [l for l in svc_complaints if "timed out" in l]
svc_other = [l for l in svc_complaints if "timed out" not in l]
check(f"service: the guest's SCMI driver logged no error beyond the timeouts of commands in flight at the kill ({len(svc_complaints)} line(s))",
      not svc_other and len(svc_timeouts) <= failed + 2, " | ".join(svc_complaints[:4]))
svc_trouble = [l for l in svc_log.splitlines() if re.search(r"\b(fail|crit)\b:", l)]
check("service: vscmi logged no error across the kill, the restart, the second VM and the reload", not svc_trouble, " | ".join(svc_trouble[:5]))

# --- vscmi inside the guest: linux-raw, config from-host, host backends (init.sh "inner") -------------
def inner_json(what):
    for l in tagged("E2E-INNER-JSON"):
        parts = l.split(" ", 2)
        if parts[0] == what and len(parts) == 3 and parts[1] == "rc=0":
            try:
                return json.loads(parts[2])
            except ValueError:
                return None
    return None


def by_name(items):
    return {i["name"]: i for i in items or []}


iio = {l.split()[0]: dict(p.split("=", 1) for p in l.split()[1:] if "=" in p) for l in tagged("E2E-IIO") if l.split()}
accel_model = next((s for s in model.get("sensor", []) if s["name"] == "accel"), {})
# IIO names a channel by its axis modifier: accel_X is in_accel_x_raw.
accel_axes = {a["name"][-1].lower(): str(a["source"]["value"]) for a in accel_model.get("axes", [])}
accel_iio = iio.get("accel", {})


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None



check("IIO_SCMI: the outer model's 3-axis accelerometer is an IIO device in the guest, each axis its value",
      accel_axes and all(accel_iio.get(axis) == value for axis, value in accel_axes.items())
      and number(accel_iio.get("scale")) is not None and abs(number(accel_iio.get("scale")) - 0.001) < 1e-9,
      f"guest IIO {iio}, model axes {accel_axes}")
inner_accel = [s for s in (inner_json("sensors") or []) if s["name"].startswith("accel")]
check("inner: the guest's IIO accelerometer is served as one sensor with three axes (IIO backend)",
      len(inner_accel) == 1 and inner_accel[0]["unit"] == "m_per_s2" and inner_accel[0]["value"] == 120
      and inner_accel[0]["reading"] == "accel_X=0.12 accel_Y=-0.34 accel_Z=9.807 m_per_s2",
      f"inner {inner_accel}")

inner_info_line = next(iter(tagged("E2E-INNER-INFO")), "")
host_info = json.loads(read("host-info.json") or "{}")
try:
    inner_info = json.loads(inner_info_line.split(" ", 1)[1].split(" ")[0]) if inner_info_line.startswith("rc=0 ") else {}
except ValueError:
    inner_info = {}
standard = lambda info: {p["id"] for p in info.get("protocols", []) if int(p["id"], 16) < 0x80}
check("inner: 'vscmi info --connect linux-raw' in the guest shows the vendor, agents and protocols the host sees",
      inner_info.get("vendor") == host_info.get("vendor") and inner_info.get("sub_vendor") == host_info.get("sub_vendor")
      and [a["name"] for a in inner_info.get("agents", [])] == [a["name"] for a in host_info.get("agents", [])]
      and standard(inner_info) == standard(host_info) and inner_info.get("agent") == "guest",
      f"guest: {inner_info_line[:300]}")
from_host = next(iter(tagged("E2E-INNER-FROMHOST")), "")
inner_model = tagged("E2E-INNER-MODEL")
check("inner: 'vscmi config from-host' builds a model of the guest's real sysfs that loads",
      from_host.startswith("rc=0 ") and any("hwmon" in l for l in inner_model) and any("cpufreq" in l for l in inner_model)
      and any("regulator" in l for l in inner_model) and any("clk" in l for l in inner_model) and any("powercap" in l for l in inner_model),
      f"{from_host[:200]}; {' | '.join(inner_model[:6])}")
check("inner: 'vscmi serve' on the guest's model starts inside the guest",
      any("ready:" in l for l in tagged("E2E-INNER-SERVE")), " | ".join(tagged("E2E-INNER-SERVE")[-4:]))
outer_sensors = by_name(snapshot("inner-perf", "sensors"))
inner_sensors = by_name(inner_json("sensors"))
volt = inner_sensors.get("vdd_cpu_volt", {})
temp = inner_sensors.get("cpu_temp", {})
check("inner: sensors served inside the guest show the outer model's values through its hwmon (vdd_cpu_volt, cpu_temp)",
      volt.get("value") == outer_sensors.get("vdd_cpu_volt", {}).get("value") == 900 and volt.get("unit") == "volts"
      and 40000 <= (temp.get("value") or 0) <= 50000 and temp.get("unit") == "degrees_c",
      f"inner vdd_cpu_volt {volt}, cpu_temp {temp}")
thermal_types = {l.split()[0]: l for l in tagged("E2E-THERMAL")}
thermal_inner = [inner_sensors[t] for t in thermal_types if t in inner_sensors]
check("inner: a thermal zone of the guest is served as a sensor (thermal backend)",
      thermal_inner and all(40000 <= (t.get("value") or 0) <= 50000 for t in thermal_inner),
      f"zones {list(thermal_types)}, inner {thermal_inner}")
inner_perf = inner_json("perf") or []
outer_perf = snapshot("inner-perf", "perf")
expected_levels = [[round(l * d["frequency_khz"] / d["level"]) for l in d["levels"]] for d in outer_perf if d.get("level")]
# Levels above the sustained one are boost frequencies to Linux (scaling_boost_frequencies): from-host keeps them.
check("inner: each guest cpufreq policy is a performance domain whose levels are the outer OPPs' frequencies (kHz)",
      [d["name"] for d in inner_perf] == ["policy0", "policy1"] and [d["levels"] for d in inner_perf] == expected_levels[:2],
      f"inner {[(d['name'], d['levels']) for d in inner_perf]}, outer {expected_levels}")
setlevel = next(iter(tagged("E2E-INNER-SETLEVEL")), "").split()
outer_little = next((d for d in outer_perf if d["name"] == "little"), {})
check("inner: a level set on the inner daemon (control = true) reaches the outer vscmi through the guest's cpufreq",
      len(setlevel) >= 4 and setlevel[1] == "rc=0" and setlevel[2] == "governor=userspace"
      and outer_little.get("frequency_khz") == int(setlevel[0]),
      f"guest {' '.join(setlevel)[:200]}; outer little {outer_little}")
inner_volts = by_name(inner_json("voltages"))
outer_volts = by_name(snapshot("inner-perf", "voltages"))
check("inner: the guest's regulators are voltage domains with the outer levels (regulator backend)",
      inner_volts and all(inner_volts[n]["level_uv"] == outer_volts[n]["level_uv"] for n in outer_volts if n in inner_volts)
      and {"vdd_cpu", "vdd_io"} <= set(inner_volts),
      f"inner {[(n, v['level_uv']) for n, v in inner_volts.items()]}, outer {[(n, v['level_uv']) for n, v in outer_volts.items()]}")
inner_clocks = by_name(inner_json("clocks"))
outer_clocks = by_name(snapshot("inner-perf", "clocks"))
shared = [n for n in outer_clocks if n in inner_clocks]
check("inner: the guest's SCMI clocks are served with the outer rates (clk debugfs backend)",
      len(shared) >= 6 and all(inner_clocks[n]["rate_hz"] == outer_clocks[n]["rate_hz"] for n in shared),
      f"{[(n, inner_clocks[n]['rate_hz'], outer_clocks[n]['rate_hz']) for n in shared]}")
inner_caps = inner_json("powercap") or []
outer_caps = by_name(snapshot("inner-perf", "powercap"))
check("inner: the guest's powercap zone is a powercap domain with the outer cap (powercap backend)",
      len(inner_caps) == 1 and inner_caps[0]["cap"] == outer_caps.get("big_cluster", {}).get("cap"),
      f"inner {inner_caps}, outer {list(outer_caps.values())}")
pd_lines = {l.split()[0]: l for l in tagged("E2E-INNER-PD")}
media_on = [e["fields"]["state_type"] for e in event_list("POWER_STATE_CHANGED", "inner-perf", "inner-pd-on", domain_id=media, agent_id=2)]
media_off = [e["fields"]["state_type"] for e in event_list("POWER_STATE_CHANGED", "inner-pd-on", "inner-pd-off", domain_id=media, agent_id=2)]
check("inner: a power state set on the inner daemon drives the guest's runtime PM, and genpd the outer power domain",
      "rc=0 control=on status=active" in pd_lines.get("on", "") and "rc=0 control=auto status=suspended" in pd_lines.get("off", "")
      and media_on == [0] and media_off == [1],
      f"guest {list(pd_lines.values())}; outer POWER_STATE_CHANGED of media {media_on} then {media_off}")
zone_energy = inner_sensors.get("zone_energy", {})
energy_warnings = [l for l in tagged("E2E-INNER-SERVE") if "host: cannot read" in l and "energy_uj" in l]
check("inner: a powercap zone without energy_uj reads HARDWARE_ERROR, with one warning naming the path (powercap energy backend)",
      zone_energy.get("value") == "HARDWARE_ERROR" and len(energy_warnings) == 1,
      f"inner zone_energy {zone_energy}; warnings {energy_warnings}")
inner_trouble = [l for l in tagged("E2E-INNER-SERVE") + tagged("E2E-INNER-SERVE-END") if re.search(r"\b(fail|crit)\b:", l)]
check("inner: the inner daemon logged no error", not inner_trouble, " | ".join(inner_trouble[:4]))

# --- observability: the metrics and the trace of the real guest's traffic ------------------------
def text_of(name):
    path = work / name
    return path.read_text(errors="replace") if path.exists() else ""

rows = [l.split("\t") for l in text_of("guest-tshark.tsv").splitlines() if l.strip()]
inbound = [r for r in rows if r[0].strip() and int(r[0].split(",")[0], 0) == 1]
guest_total = sum(float(m.group(2)) for m in re.finditer(r'^vscmi_scmi_messages_total\{([^}]*)\} (\S+)', text_of("metrics.txt"), re.M)
                  if 'scmi_agent="guest"' in m.group(1))
trace_err = text_of("trace.err")
check("metrics: the guest's commands on /metrics are the commands its trace recorded",
      inbound and "dropped" not in trace_err and guest_total == len(inbound),
      f"metrics say {guest_total:.0f}, the trace has {len(inbound)} commands of {len(rows)} messages; {trace_err.strip()[-300:]} {text_of('guest-tshark.err')[-200:]}")
unnamed = sorted({r[1] for r in rows if len(r) > 1 and (not r[1] or r[1].startswith("message 0x"))})
leftover = [r[1] for r in rows if len(r) > 4 and r[4].strip()]
names = {r[1] for r in rows if len(r) > 1}
check("wireshark: the generated dissector names every message the Linux guest exchanged, with no byte left over",
      rows and not unnamed and not leftover and len(names) >= 25,
      f"{len(names)} names; unnamed {unnamed[:5]}; bytes left after {leftover[:5]}")

# --- an injected fault: two BUSY answers to the guest's PERFORMANCE_LEVEL_SET -------------------
inject = dict(kv.split("=", 1) for kv in (tagged("E2E-INJECT") or [""])[0].split() if "=" in kv)
inject_list = text_of("inject-list.out")
host_perf = json.loads(text_of("inject-perf.json") or "[]")
big = next((d for d in host_perf if d.get("name") == "big"), {})
third = int(inject.get("a", "0") or 0)
# Linux's cpufreq core logs each refused change (__target_index, -EBUSY) and does not retry: the
# level stays until the next write, which the platform accepts.
# Only between the inject steps: the scenario library's busy-storm makes more of these later.
inject_from = next((i for i, l in enumerate(lines) if l.startswith("E2E-STEP inject-busy")), 0)
inject_to = next((i for i, l in enumerate(lines) if l.startswith("E2E-STEP inject-done")), len(lines))
busy_lines = [l for l in lines[inject_from:inject_to] if "__target_index: Failed to change cpu frequency: -16" in l and not l.startswith("E2E-")]
check("inject: two BUSY answers fail two cpufreq writes (-EBUSY logged, the level kept), and the next write sets the level on the platform",
      "applied 2, 0 remaining" in inject_list and len(busy_lines) == 2
      and inject.get("cur1") == inject.get("start") and inject.get("cur2") == inject.get("start")
      and inject.get("rc3") == "0" and inject.get("cur3") == inject.get("a") and big.get("frequency_khz") == third,
      f"guest {inject}; {len(busy_lines)} -EBUSY line(s); host {inject_list.strip()[:160]}; host perf big {big}")

# --- the scenario library (scenarios/*.toml) against the guest ------------------------------------
# Each scenario: 'vscmi scenario run' judged its expectations from the trace (exit 0: every one held,
# or failed as its recorded agent defect says); the guest's script ran, its output and the kernel's
# new log lines match the scenario's expect_output, and no line matches forbid_log (WARNING, BUG...).
library = sorted((pathlib.Path(__file__).resolve().parent.parent.parent / "scenarios").glob("*.toml"))
ran = []
for path in library:
    name = path.stem
    scenario = tomllib.loads(path.read_text())
    rc = text_of(f"scenario-{name}.rc").strip()
    verdicts = [l for l in text_of(f"scenario-{name}.out").splitlines() if re.match(r"^(PASS|FAIL|KNOWN|FIXED\?|ERROR)", l)]
    summary = (text_of(f"scenario-{name}.out").strip().splitlines() or ["(did not run)"])[-1]
    if not rc:
        check(f"scenario {name}: ran against the guest", False, "no result: the guest never reached it")
        continue
    ran.append(name)
    guest = scenario.get("guest")
    detail = [summary] + [v for v in verdicts if not v.startswith(("PASS", "KNOWN"))]
    ok = rc == "0" and verdicts
    if guest:
        out = tagged(f"E2E-SCN-OUT {name}")
        log = tagged(f"E2E-SCN-LOG {name}")
        done = tagged("E2E-SCN-DONE")
        missing = [p for p in guest.get("expect_output", []) if not any(re.search(p, l) for l in out + log)]
        forbidden = guest.get("forbid_log", ["WARNING:", "BUG:", "Oops", "Call trace:", "Kernel panic"])
        hurt = [l for l in log if any(re.search(p, l) for p in forbidden)]
        ok = ok and any(d.startswith(f"{name} rc=") for d in done) and not missing and not hurt
        detail += [f"missing {missing}" if missing else "", f"kernel logged {hurt[:2]}" if hurt else "", f"guest output {out[-3:]}", f"log {log[:4]}"]
    elif name == "graceful-shutdown":
        ok = ok and "E2E-ORDERLY-POWEROFF" in boots_text
        detail.append("no orderly poweroff in the boots' consoles" if "E2E-ORDERLY-POWEROFF" not in boots_text else "")
    check(f"scenario {name}: {scenario.get('description', '')}", ok, "; ".join(d for d in detail if d))
check("the scenario library ran whole against the guest", library and len(ran) == len(library),
      f"{len(ran)} of {len(library)} ran: missing {[p.stem for p in library if p.stem not in ran]}")

# --- the daemon ----------------------------------------------------------------------------------
old_serve_log = (work / "serve-2.0.log").read_text(errors="replace") if (work / "serve-2.0.log").exists() else ""
trouble = [l for l in (serve_log + old_serve_log).splitlines() if re.search(r"\b(warn|fail|crit)\b:", l)]
check("vscmi serve logged no warning or error", not trouble, " | ".join(trouble[:5]))

passed = sum(results)
print(f"E2E: {passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)

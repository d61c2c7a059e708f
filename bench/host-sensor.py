#!/usr/bin/env python3
"""What a host backend costs on the command path: SENSOR_READING_GET of a hwmon-backed sensor
against a simulated constant one, in-process (`vscmi bench --connect inproc`), alternating runs in
one sitting. The host sensor answers from the cache the poller fills off the dispatch lock, so the
two should be within noise of each other; a host read on the command path would show as a
many-fold drop (one sysfs read is microseconds).

    bench/host-sensor.py [--runs N] [--duration S] [--inflight N]
"""
import argparse, json, os, statistics, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def model(sysfs, source):
    return f"""[host]
sysfs = "{sysfs}"
[platform]
vendor = "bench"
[[agent]]
name = "a"
trusted = true
[[sensor]]
name = "t"
type = "temperature"
unit_exponent = -3
source = {source}
"""


def run(config, duration, inflight):
    out = subprocess.run([os.path.join(root, "vscmi"), "bench", "--connect", "inproc", "--config", config,
                          "--command", "SENSOR_READING_GET", "--inflight", str(inflight), "--duration", str(duration), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--inflight", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vscmi-bench-host-") as work:
        chip = os.path.join(work, "sys", "class", "hwmon", "hwmon0")
        os.makedirs(chip)
        open(os.path.join(chip, "name"), "w").write("bench\n")
        open(os.path.join(chip, "temp1_input"), "w").write("45000\n")
        configs = {}
        for name, source in (("simulated", '{ kind = "constant", value = 45000 }'),
                             ("hwmon", '{ kind = "hwmon", chip = "bench", channel = "temp1" }')):
            configs[name] = os.path.join(work, f"{name}.toml")
            open(configs[name], "w").write(model(os.path.join(work, "sys"), source))
        results = {name: [] for name in configs}
        for _ in range(args.runs):
            for name, config in configs.items():
                results[name].append(run(config, args.duration, args.inflight))
        print(f"| sensor source | msg/s (median of {args.runs}) | p50 µs | p99 µs |")
        print("|---|---|---|---|")
        for name, runs in results.items():
            rate = statistics.median(r["messages_per_second"] for r in runs)
            p50 = statistics.median(r["p50_us"] for r in runs)
            p99 = statistics.median(r["p99_us"] for r in runs)
            print(f"| {name} | {rate:,.0f} | {p50:.1f} | {p99:.1f} |")
        ratio = statistics.median(r["messages_per_second"] for r in results["hwmon"]) / statistics.median(r["messages_per_second"] for r in results["simulated"])
        print(f"\nhwmon / simulated: {ratio:.2f}")
        return 0 if ratio > 0.7 else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The daemon as a service, measured: exec to READY=1, resident memory idle, and per connected VM.

Plays systemd (a NOTIFY_SOCKET datagram socket), starts the native AOT binary, and reads VmRSS
from /proc. VMs are vscmi's own vhost-user frontend (`vscmi bench --connect vhost-user:...`, run
through the ./vscmi launcher), each holding its VM socket for the measurement. Prints a Markdown
table (what docs/performance.md quotes) and exits non-zero when a target of issue 14 is missed.

    bench/service.py [--binary PATH] [--runs N] [--vms N]
"""
import argparse, os, socket, statistics, subprocess, sys, tempfile, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def model_with_vms(path, vms, directory):
    model = subprocess.run([os.path.join(root, "vscmi"), "config", "show"], check=True, capture_output=True, text=True).stdout
    for i in range(vms):
        model += f'\n[[agent]]\nname = "vm{i}"\ntrusted = false\nvhost_user = "{directory}/vm{i}.sock"\n'
    with open(path, "w") as f:
        f.write(model)


def start(binary, directory, config, notify_path):
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    t0 = time.monotonic_ns()
    process = subprocess.Popen([binary, "serve", "--config", config], cwd=directory, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, t0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(root, "artifacts/publish/linux-x64/vscmi"))
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--vms", type=int, default=4)
    args = parser.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary} is missing: run packaging/publish.sh --only-x64")

    directory = tempfile.mkdtemp(prefix="vscmi-svc-")
    config = os.path.join(directory, "model.toml")
    model_with_vms(config, args.vms, directory)
    notify_path = os.path.join(directory, "notify.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(10)

    ready_ms, idle_kib = [], []
    for run in range(args.runs):
        process, t0 = start(args.binary, directory, config, notify_path)
        while True:
            message = notify.recv(4096).decode()
            if "READY=1" in message:
                ready_ms.append((time.monotonic_ns() - t0) / 1e6)
                break
        time.sleep(0.5)
        idle_kib.append(rss_kib(process.pid))
        if run < args.runs - 1:
            process.terminate()
            process.wait(10)

    # The last daemon stays: connect the VMs and hold them while reading its memory.
    clients = [subprocess.Popen([os.path.join(root, "vscmi"), "bench", "--connect", f"vhost-user:{directory}/vm{i}.sock",
                                 "--command", "SENSOR_READING_GET", "-d", "6", "--json"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(args.vms)]
    time.sleep(4)
    busy_kib = rss_kib(process.pid)
    for client in clients:
        client.wait(60)
    process.terminate()
    process.wait(10)

    idle = statistics.median(idle_kib)
    per_vm = (busy_kib - idle_kib[-1]) / args.vms
    rows = [
        ("exec to READY=1, median of %d (min..max)" % args.runs, "%.1f ms (%.1f..%.1f)" % (statistics.median(ready_ms), min(ready_ms), max(ready_ms)), "≤ 30 ms", statistics.median(ready_ms) <= 30),
        ("resident when idle, median", "%.1f MB" % (idle / 1024), "≤ 16 MB", idle / 1024 <= 16),
        ("resident per connected VM (%d VMs busy)" % args.vms, "%.2f MB" % (per_vm / 1024), "≤ 0.3 MB", per_vm / 1024 <= 0.3),
    ]
    print("| measure | %s | target |" % os.path.basename(args.binary))
    print("|---|---|---|")
    for name, value, target, ok in rows:
        print(f"| {name} | {value}{'' if ok else ' (missed)'} | {target} |")
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

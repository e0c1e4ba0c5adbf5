#!/usr/bin/env python3
"""Peak RSS of faultline at each moment of a large run, without root or servers.

  bench/memory_moments.py FAULTLINE [--targets N] [--labels] [--window S]

Writes a config of N targets (50 % tcp://, 40 % http://, 10 % https://, the scale mix) that
all point at port 1 of addresses in 127.9.0.0/16, so every probe is refused at once: the
daemon's state for N targets with no server to run. Then starts `faultline run` and reports,
for each moment, the peak resident size of that moment alone (the kernel's VmHWM, reset by
writing 5 to /proc/PID/clear_refs before it): startup (exec -> READY=1), probing (a window of
S seconds), one plain and one gzip /metrics scrape, and a reload of the same file (SIGHUP ->
READY=1, plus 2 s). With --labels, tcp:// targets carry two labels and http:// ones one.

bench/run.sh's scale workload measures the same moments against real servers; this is the
quick check of a memory change.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def write_config(path, db, port, count, labels):
    with open(path, "w") as f:
        f.write(f"defaults: {{interval: 60s, timeout: 5s}}\nstorage: {{path: {db}}}\n"
                f"metrics: {{listen: 127.0.0.1:{port}}}\nlog: {{level: warn}}\ntargets:\n")
        for i in range(count):
            ip = f"127.9.{(i // 250) % 250}.{i % 250 + 1}"
            if i < count // 2:
                extra = ", labels: {team: payments, env: production}" if labels else ""
                f.write(f"  - {{name: tcp-{i}, url: \"tcp://{ip}:1\"{extra}}}\n")
            elif i < count * 9 // 10:
                extra = ", labels: {team: storefront}" if labels else ""
                f.write(f"  - {{name: http-{i}, url: \"http://{ip}:1/\"{extra}}}\n")
            else:
                f.write(f"  - {{name: https-{i}, url: \"https://{ip}:1/\"}}\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_mb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def cpu_s(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Notify:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)

    def wait(self, word, timeout_s=120):
        self.sock.settimeout(timeout_s)
        while word not in self.sock.recv(4096).decode():
            pass
        return time.monotonic()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("faultline")
    ap.add_argument("--targets", type=int, default=100_000)
    ap.add_argument("--labels", action="store_true")
    ap.add_argument("--window", type=float, default=20)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="flmem.")
    port = free_port()
    config = os.path.join(work, "faultline.yaml")
    write_config(config, os.path.join(work, "h.db"), port, args.targets, args.labels)
    notify = Notify(os.path.join(work, "notify"))
    env = dict(os.environ, NOTIFY_SOCKET=os.path.join(work, "notify"))
    log = open(os.path.join(work, "faultline.log"), "w")
    t0 = time.monotonic()
    p = subprocess.Popen([args.faultline, "run", "-c", config], env=env, stdout=log,
                         stderr=subprocess.STDOUT)
    rows = []
    try:
        rows.append(("startup", notify.wait("READY=1") - t0, None, status_mb(p.pid, "VmHWM")))
        time.sleep(5)  # the first probes' allocations settle
        reset_peak(p.pid)
        c0 = cpu_s(p.pid)
        time.sleep(args.window)
        rows.append(("probing", args.window, cpu_s(p.pid) - c0, status_mb(p.pid, "VmHWM")))
        for encoding in ("identity", "gzip"):
            reset_peak(p.pid)
            c0, s0 = cpu_s(p.pid), time.monotonic()
            request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                             headers={"Accept-Encoding": encoding})
            body = urllib.request.urlopen(request, timeout=120).read()
            name = f"scrape ({'gzip' if encoding == 'gzip' else 'plain'}, {len(body) / 1e6:.1f} MB)"
            rows.append((name, time.monotonic() - s0, cpu_s(p.pid) - c0,
                         status_mb(p.pid, "VmHWM")))
        reset_peak(p.pid)
        c0, s0 = cpu_s(p.pid), time.monotonic()
        p.send_signal(signal.SIGHUP)
        notify.wait("RELOADING=1")
        took = notify.wait("READY=1") - s0
        time.sleep(2)
        rows.append(("reload", took, cpu_s(p.pid) - c0, status_mb(p.pid, "VmHWM")))
        rows.append(("after the reload (VmRSS)", None, None, status_mb(p.pid, "VmRSS")))
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(60)
    print(f"{args.targets:,} targets{' with labels' if args.labels else ''}; "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| moment | wall s | CPU s | peak RSS MB |\n|---|---|---|---|")
    for name, wall, cpu, mb in rows:
        fmt = lambda v: "" if v is None else f"{v:.2f}"
        print(f"| {name} | {fmt(wall)} | {fmt(cpu)} | {mb:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""faultline's benchmark harness (issue 9). Run it through bench/run.sh, which puts it in a network
namespace of its own (only a loopback interface) with a high fd limit; see docs/BENCHMARKS.md.

For each workload (10,000 tcp://, 10,000 http://, 1,000 https:// targets against nginx, 10,000
dns:// targets against nsd, 10,000 icmp:// targets against the namespace's own addresses) and each
repetition it measures, one after the other at the same probe rate against the same targets:
  faultline   `faultline run` on a generated config (CPU from /proc/PID/stat over a window),
  blackbox    prometheus-blackbox-exporter driven over /probe by bench/probe_driver.c (a fresh
              exporter per measurement, so its RSS is that workload's),
  floor       bench/floor_probe.c: non-blocking connect (+ GET, + TLS), a UDP query, or a ping
              socket echo, on epoll,
then a scale run of 100,000 mixed targets at a 60 s interval: startup (exec -> READY=1), reload
(SIGHUP -> READY=1), CPU, schedule lag, skipped probes, RSS, storage rows, one scrape.
Only the Python standard library is used.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HTTPS_ADDRESSES = 64  # the test certificate names 127.3.0.1 .. 127.3.0.64 as IP SANs
DNS_SERVERS = 64  # nsd answers on 127.4.0.1 .. 127.4.0.64
DNS_NAME = "www.bench.test"  # the one A record every dns probe asks for
METRICS_PORT = 19469
BLACKBOX = "127.0.0.1:9115"
MASK = (1 << 64) - 1


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Targets: every target gets its own 127.x.y.z address where it can, so ephemeral ports never
# run out (each destination address has its own port space).


def address(kind, i):
    if kind == "https":
        return f"127.3.0.{i % HTTPS_ADDRESSES + 1}"
    if kind == "dns":
        return f"127.4.0.{i % DNS_SERVERS + 1}"
    second = {"tcp": 1, "http": 2, "icmp": 5}[kind]
    return f"127.{second}.{i // 250}.{i % 250 + 1}"


def targets(kind, count):
    """[(name, url, ip, port)] for `count` targets of `kind`."""
    out = []
    for i in range(count):
        ip = address(kind, i)
        if kind == "tcp":
            out.append((f"tcp-{i}", f"tcp://{ip}:80", ip, 80))
        elif kind == "http":
            out.append((f"http-{i}", f"http://{ip}/", ip, 80))
        elif kind == "dns":
            out.append((f"dns-{i}", f"dns://{ip}/{DNS_NAME}?type=A", ip, 53))
        elif kind == "icmp":
            out.append((f"icmp-{i}", f"icmp://{ip}", ip, 0))
        else:
            out.append((f"https-{i}", f"https://{ip}/", ip, 443))
    return out


def mixed_targets(count):
    """The scale mix: half tcp://, 40 % http://, 10 % https://."""
    return (targets("tcp", count // 2) + targets("http", count * 2 // 5) +
            targets("https", count - count // 2 - count * 2 // 5))


# ---------------------------------------------------------------------------------------------
# Servers


def make_certs(work):
    """An ECDSA P-256 CA and a server certificate for 127.3.0.1-64 signed by it."""
    sans = ",".join(f"IP:127.3.0.{i}" for i in range(1, HTTPS_ADDRESSES + 1))
    run = lambda *a: subprocess.run(a, cwd=work, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=bench CA")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=bench server")
    with open(os.path.join(work, "san.ext"), "w") as f:
        f.write(f"subjectAltName={sans}\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext")


SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def trust_test_ca(work):
    """Adds the test CA to the system bundle, in this mount namespace only (see run.sh)."""
    if os.environ.get("FAULTLINE_BENCH_NAMESPACES") != "1":
        raise SystemExit("run.py: start it through bench/run.sh (private mount namespace)")
    bundle = os.path.join(work, "ca-certificates.crt")
    with open(bundle, "w") as out:
        for path in (SYSTEM_BUNDLE, os.path.join(work, "ca.pem")):
            with open(path) as f:
                out.write(f.read())
    subprocess.run(["mount", "--bind", bundle, SYSTEM_BUNDLE], check=True)


def start_nginx(work):
    conf = os.path.join(work, "nginx.conf")
    os.makedirs(os.path.join(work, "nginx-tmp"), exist_ok=True)
    tmp = os.path.join(work, "nginx-tmp")
    # Wildcard listeners are safe here: run.sh runs us in a network namespace whose only
    # interface is loopback, and a wildcard bind is how one server answers on all of 127/8.
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 1;
user root;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log crit;
worker_rlimit_nofile 200000;
events {{ worker_connections 100000; multi_accept on; }}
http {{
  access_log off;
  client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
  keepalive_timeout 0;
  ssl_certificate {work}/server.pem;
  ssl_certificate_key {work}/server.key;
  ssl_session_cache off;
  ssl_session_tickets off;
  server {{
    listen 80 backlog=65535;
    listen 443 ssl backlog=65535;
    location / {{ return 200 "ok\\n"; }}
  }}
}}
""")
    subprocess.run(["nginx", "-p", work, "-c", conf, "-t"], check=True, capture_output=True)
    return subprocess.Popen(["nginx", "-p", work, "-c", conf, "-g", "daemon off;"])


def start_nsd(work):
    """NSD (an authoritative-only server) for the zone bench.test on 127.4.0.1-64, port 53.
    Each address is listed, so every answer leaves from the address its query went to (c-ares
    and the floor connect their UDP sockets and take nothing else)."""
    with open(os.path.join(work, "bench.test.zone"), "w") as f:
        f.write(f"""$ORIGIN bench.test.
$TTL 300
@    IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 300
@    IN NS  ns
ns   IN A   127.4.0.1
www  IN A   127.1.0.1
""")
    conf = os.path.join(work, "nsd.conf")
    with open(conf, "w") as f:
        f.write("server:\n")
        for i in range(1, DNS_SERVERS + 1):
            f.write(f"  ip-address: 127.4.0.{i}\n")
        f.write(f"""  port: 53
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "{work}"
  database: ""
  zonelistfile: "{work}/nsd-zone.list"
  xfrdfile: "{work}/nsd-xfrd.state"
  xfrdir: "{work}"
  pidfile: "{work}/nsd.pid"
  logfile: "{work}/nsd.log"
  verbosity: 0
  # Response rate limiting off: it is on by default (200 answers/s for one question from one
  # /24) and would drop or truncate most of the bench's 1,000 queries/s, all from 127.0.0.1.
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: bench.test
  zonefile: "{work}/bench.test.zone"
""")
    subprocess.run(["nsd-checkconf", conf], check=True)
    p = subprocess.Popen(["nsd", "-d", "-c", conf], stdout=subprocess.DEVNULL,
                         stderr=open(f"{work}/nsd.log", "a"))
    wait_dns("127.4.0.1", DNS_NAME, 10)
    return p


def wait_dns(server, name, timeout_s):
    """Until `server` answers a query for `name` (any answer: it is up)."""
    labels = b"".join(bytes([len(x)]) + x.encode() for x in name.split("."))
    query = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + labels + b"\x00\x00\x01\x00\x01"
    end = time.monotonic() + timeout_s
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        while time.monotonic() < end:
            try:
                s.sendto(query, (server, 53))
                if s.recv(512)[:2] == b"\x12\x34":
                    return
            except OSError:
                time.sleep(0.05)
    raise RuntimeError(f"no DNS answer from {server} within {timeout_s}s")


def start_blackbox(work):
    conf = os.path.join(work, "blackbox.yml")
    with open(conf, "w") as f:
        f.write(f"""modules:
  tcp_connect:
    prober: tcp
    timeout: 5s
    tcp: {{preferred_ip_protocol: ip4}}
  http_2xx:
    prober: http
    timeout: 5s
    http: {{preferred_ip_protocol: ip4}}
  https_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
  dns_a:
    prober: dns
    timeout: 5s
    dns:
      preferred_ip_protocol: ip4
      transport_protocol: udp
      query_name: {DNS_NAME}
      query_type: A
  icmp_echo:
    prober: icmp
    timeout: 5s
    icmp: {{preferred_ip_protocol: ip4}}
""")
    # The listener is pinned to loopback explicitly (its default is every interface).
    p = subprocess.Popen(["prometheus-blackbox-exporter", f"--config.file={conf}",
                          f"--web.listen-address={BLACKBOX}", "--log.level=warn"],
                         stdout=subprocess.DEVNULL, stderr=open(f"{work}/blackbox.log", "w"))
    wait_http(f"http://{BLACKBOX}/metrics", 10)
    return p


def wait_http(url, timeout_s):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read()
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout_s}s")


# ---------------------------------------------------------------------------------------------
# Measuring a process


def scrape(url, timeout_s):
    """One GET (never retried: a retry would start a second scrape while the first runs)."""
    with urllib.request.urlopen(url, timeout=timeout_s) as r:
        return r.read()


def proc_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def runq_wait_s(pid):
    """Seconds the process's main thread (the event loop) has waited for a CPU while runnable."""
    with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
        return int(f.read().split()[1]) / 1e9


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def proc_status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Notify:
    """The NOTIFY_SOCKET end of sd_notify: a unix datagram socket we bind."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)

    def wait(self, word, timeout_s):
        """Returns the monotonic time a message containing `word` arrived."""
        end = time.monotonic() + timeout_s
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"no {word} within {timeout_s}s")
            self.sock.settimeout(left)
            msg = self.sock.recv(4096).decode(errors="replace")
            if word in msg.split("\n"):
                return time.monotonic()

    def close(self):
        self.sock.close()
        os.unlink(self.path)


def hash_name(name):
    """daemon/schedule_math.cpp's hash_name: FNV-1a, then the splitmix64 finaliser."""
    h = 1469598103934665603
    for c in name.encode():
        h ^= c
        h = (h * 1099511628211) & MASK
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & MASK
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & MASK
    h ^= h >> 31
    return h


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def scrape_value(text, name):
    """Sum of every sample of metric `name` (any labels)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


# ---------------------------------------------------------------------------------------------
# Contenders


def write_config(work, tlist, interval_s, record=True, name="faultline.yaml"):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(f"""defaults: {{interval: {interval_s}s, timeout: 5s}}
storage: {{path: {work}/faultline.db, record_successes: {str(record).lower()}}}
metrics: {{listen: 127.0.0.1:{METRICS_PORT}}}
log: {{level: warn}}
targets:
""")
        for name, url, _, _ in tlist:
            # icmp: one echo per probe, as blackbox_exporter's icmp module and the floor send.
            extra = ", count: 1" if url.startswith("icmp:") else ""
            f.write(f"  - {{name: {name}, url: \"{url}\"{extra}}}\n")
    return path


def run_faultline(args, work, tlist, interval_s, warmup, window, scale=False, record=True):
    """record: storage.record_successes, a history row for every probe. Schedule lag and the
    probe count come from those rows; without them (the default configuration) the count is
    the fixed schedule's (checked against skipped probes) and there is no lag figure."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f"{work}/faultline.db{suffix}"):
            os.unlink(f"{work}/faultline.db{suffix}")
    config = write_config(work, tlist, interval_s, record)
    notify = Notify(f"{work}/notify")
    env = dict(os.environ, NOTIFY_SOCKET=f"{work}/notify")
    logf = open(f"{work}/faultline.log", "a")
    t_exec = time.monotonic()
    p = subprocess.Popen(args.wrap.split() + [args.faultline, "run", "-c", config], env=env,
                         stdout=logf, stderr=logf)
    res = {}
    try:
        res["startup_s"] = notify.wait("READY=1", 120) - t_exec
        time.sleep(warmup)
        cpu0, t0, unix0 = proc_cpu_s(p.pid), time.monotonic(), time.time()
        wait0 = runq_wait_s(p.pid)
        if args.perf:
            subprocess.run(["perf", "record", "-q", "-F", "1999", "-g", "-p", str(p.pid), "-o",
                            args.perf, "--", "sleep", str(window)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif args.attach:
            subprocess.run(args.attach.format(pid=p.pid, window=window), shell=True)
        else:
            time.sleep(window)
        cpu1, t1, unix1 = proc_cpu_s(p.pid), time.monotonic(), time.time()
        res["runq_wait_pct"] = 100 * (runq_wait_s(p.pid) - wait0) / (t1 - t0)
        res["load1"] = load1()
        res["rss_window_mb"] = proc_status_kb(p.pid, "VmRSS") / 1024
        res["wall_s"] = t1 - t0
        res["cpu_s"] = cpu1 - cpu0
        res["rss_window_peak_mb"] = proc_status_kb(p.pid, "VmHWM") / 1024
        # Everything below happens after the CPU window closed.
        s0, c0 = time.monotonic(), proc_cpu_s(p.pid)
        text = scrape(f"http://127.0.0.1:{METRICS_PORT}/metrics", 300).decode()
        res["scrape_s"], res["scrape_cpu_s"] = time.monotonic() - s0, proc_cpu_s(p.pid) - c0
        res["scrape_mb"] = len(text) / 1e6
        res["skipped"] = scrape_value(text, "faultline_probes_skipped_total")
        res["rows_dropped"] = scrape_value(text, "faultline_storage_rows_dropped_total")
        res["write_errors"] = scrape_value(text, "faultline_storage_write_errors_total")
        if scale:
            perf = None
            if args.perf_reload:
                perf = subprocess.Popen(["perf", "record", "-q", "-F", "999", "--call-graph",
                                         "dwarf,16384", "-p", str(p.pid), "-o",
                                         args.perf_reload], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
                time.sleep(1)
            t_hup = time.monotonic()
            p.send_signal(signal.SIGHUP)
            notify.wait("RELOADING=1", 60)
            res["reload_s"] = notify.wait("READY=1", 120) - t_hup
            time.sleep(2)
            res["rss_after_reload_mb"] = proc_status_kb(p.pid, "VmRSS") / 1024
            if perf:
                perf.send_signal(signal.SIGINT)
                perf.wait()
        res["rss_peak_mb"] = proc_status_kb(p.pid, "VmHWM") / 1024
        res["rss_mb"] = proc_status_kb(p.pid, "VmRSS") / 1024
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        notify.close()
        logf.close()
    # Probes started inside the window, from the history (record_successes: true), and each
    # one's schedule lag: it started at started_at; it was due at the last instant congruent
    # to the target's phase offset modulo the interval.
    interval_ms = int(interval_s * 1000)
    db = sqlite3.connect(f"file:{work}/faultline.db?mode=ro", uri=True)
    rows = db.execute("SELECT t.name, p.time, p.class FROM probes p JOIN targets t "
                      "ON t.id = p.target_id WHERE p.time >= ? AND p.time < ?",
                      (int(unix0 * 1000), int(unix1 * 1000))).fetchall()
    db.close()
    offsets = {}
    lags = []
    ok = 0
    for name, started, cls in rows:
        off = offsets.get(name)
        if off is None:
            off = offsets[name] = hash_name(name) % interval_ms
        lag = (started - off) % interval_ms
        lags.append(0 if lag > interval_ms // 2 else lag)
        ok += cls == "ok"
    lags.sort()
    n = len(rows)
    if not record:
        db = sqlite3.connect(f"file:{work}/faultline.db?mode=ro", uri=True)
        failed = db.execute("SELECT count(*) FROM failures WHERE time >= ? AND time < ?",
                            (int(unix0 * 1000), int(unix1 * 1000))).fetchone()[0]
        db.close()
        n = round(len(tlist) * res["wall_s"] / interval_s)
        ok = n - failed
    res.update(probes=n, ok=ok, probes_per_s=n / res["wall_s"],
               cpu_ms_per_1000=res["cpu_s"] * 1e6 / n if n else float("nan"),
               core_fraction=res["cpu_s"] / res["wall_s"],
               storage_rows_per_s=(n if record else n - ok) / res["wall_s"],
               lag_p50_ms=percentile(lags, 50), lag_p99_ms=percentile(lags, 99),
               lag_max_ms=lags[-1] if lags else float("nan"),
               expected=len(tlist) * res["wall_s"] / interval_s)
    return res


def parse_kv(line):
    out = {}
    for part in line.split():
        k, _, v = part.partition("=")
        try:
            out[k] = float(v)
        except ValueError:
            out[k] = v
    return out


def run_blackbox(args, work, tlist, kind, rate, warmup, window):
    """A fresh exporter for each measurement, so its RSS (VmRSS at the window's end, VmHWM) is
    this workload's and not the heap an earlier one left behind."""
    module = {"tcp": "tcp_connect", "http": "http_2xx", "https": "https_2xx", "dns": "dns_a",
              "icmp": "icmp_echo"}[kind]
    tfile = f"{work}/bb-{kind}.txt"
    with open(tfile, "w") as f:
        for _, url, ip, port in tlist:
            if kind in ("tcp", "dns"):
                f.write(f"{ip}:{port}\n")
            elif kind == "icmp":
                f.write(ip + "\n")
            else:
                f.write(url + "\n")
    bb = start_blackbox(work)
    try:
        out = subprocess.run([args.driver, "--exporter", BLACKBOX, "--module", module,
                              "--targets", tfile, "--rate", str(rate), "--pid", str(bb.pid),
                              "--warmup", str(warmup), "--duration", str(window)],
                             check=True, capture_output=True, text=True).stdout
    finally:
        bb.terminate()
        bb.wait()
    return parse_kv(out)


def run_floor(args, work, tlist, mode, rate, warmup, window):
    tfile = f"{work}/floor.txt"
    with open(tfile, "w") as f:
        for _, _, ip, port in tlist:
            f.write(f"{ip} {port} {DNS_NAME}\n" if mode == "dns" else f"{ip} {port}\n")
    out = subprocess.run([args.floor, "--mode", mode, "--targets", tfile, "--rate", str(rate),
                          "--warmup", str(warmup), "--duration", str(window)],
                         check=True, capture_output=True, text=True).stdout
    return parse_kv(out)


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", nargs="?", default="quick", choices=["quick", "full"])
    ap.add_argument("--build", default=os.path.join(ROOT, "build-rel"))
    ap.add_argument("--workloads", default="tcp,http,https,dns,icmp,scale")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--count", type=int, help="targets per workload instead of 10,000/1,000")
    ap.add_argument("--out", default=os.path.join(ROOT, "build-rel", "bench-results.json"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--perf", metavar="FILE",
                    help="record faultline with `perf record -g` during each window into FILE")
    ap.add_argument("--perf-reload", metavar="FILE",
                    help="record the scale run's reload with perf (dwarf call graphs) into FILE")
    ap.add_argument("--attach", metavar="CMD",
                    help="run CMD during each faultline window; {pid} and {window} are "
                         "replaced, e.g. 'timeout {window} strace -c -f -p {pid} -o /tmp/s.txt'")
    ap.add_argument("--wrap", metavar="CMD", default="",
                    help="run faultline under CMD (e.g. valgrind --tool=callgrind); its CPU "
                         "figures are then meaningless")
    args = ap.parse_args()
    args.faultline = os.path.join(args.build, "faultline")
    args.floor = os.path.join(args.build, "bench", "floor_probe")
    args.driver = os.path.join(args.build, "bench", "probe_driver")
    quick = args.mode == "quick"
    reps = args.reps or (1 if quick else 3)
    warmup, window = (4, 10) if quick else (5, 30)
    scale_warmup, scale_window = (10, 60) if quick else (20, 120)
    workloads = args.workloads.split(",")
    plan = {"tcp": (10_000, 10), "http": (10_000, 10), "https": (1_000, 10), "dns": (10_000, 10),
            "icmp": (10_000, 10)}
    if args.count:
        plan = {k: (args.count, v[1]) for k, v in plan.items()}

    work = tempfile.mkdtemp(prefix="flb.")
    log(f"work directory {work}")
    make_certs(work)
    trust_test_ca(work)
    nginx = start_nginx(work)
    wait_http("http://127.1.0.1/", 10)
    nsd = start_nsd(work) if "dns" in workloads else None
    results = {"mode": args.mode, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "runs": [],
               "scale": None}
    try:
        for rep in range(reps):
            for kind in [w for w in workloads if w in plan]:
                count, interval = plan[kind]
                tl = targets(kind, count)
                rate = count / interval
                run = {"rep": rep, "kind": kind, "targets": count, "rate": rate}
                log(f"rep {rep + 1}/{reps} {kind}: faultline, {count} targets at {interval}s")
                run["faultline"] = run_faultline(args, work, tl, interval, warmup, window)
                log(f"rep {rep + 1}/{reps} {kind}: faultline, default storage (no success rows)")
                run["faultline_default"] = run_faultline(args, work, tl, interval, warmup, window,
                                                         record=False)
                log(f"rep {rep + 1}/{reps} {kind}: blackbox_exporter at {rate:.0f}/s")
                run["blackbox"] = run_blackbox(args, work, tl, kind, rate, warmup, window)
                floor_modes = {"tcp": ["tcp"], "http": ["http"], "https": ["https", "tls"],
                               "dns": ["dns"], "icmp": ["icmp"]}[kind]
                for m in floor_modes:
                    log(f"rep {rep + 1}/{reps} {kind}: floor ({m}) at {rate:.0f}/s")
                    run["floor_" + m] = run_floor(args, work, tl, m, rate, warmup, window)
                results["runs"].append(run)
                report_run(run)
        if "scale" in workloads:
            log(f"scale: faultline, 100000 mixed targets at 60s ({scale_window}s window)")
            results["scale"] = run_faultline(args, work, mixed_targets(100_000), 60,
                                             scale_warmup, scale_window, scale=True)
    finally:
        for server in (nginx, nsd):
            if server:
                server.terminate()
                server.wait()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    print_tables(results)
    log(f"raw results in {args.out}")


def report_run(run):
    fl, bb = run["faultline"], run["blackbox"]
    fm = run.get("floor_" + run["kind"]) or run.get("floor_https")
    log(f"  faultline {fl['cpu_ms_per_1000']:.1f} ms/1000 ({fl['probes']} probes, {fl['ok']} ok), "
        f"blackbox {bb['cpu_ms_per_1000']:.1f} ({int(bb['probes'])}, {int(bb['ok'])} ok), "
        f"floor {fm['cpu_ms_per_1000']:.1f} ({int(fm['probes'])}, {int(fm['ok'])} ok)")


def med(values):
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


KINDS = ("tcp", "http", "https", "dns", "icmp")


def print_tables(results):
    runs = results["runs"]
    if runs:
        print("\nCPU ms per 1,000 probes (user+sys). faultline: default storage (failures and "
              "rollups); +rows: record_successes, a history row per probe.\n")
        print("| workload | rate /s | faultline | faultline +rows | blackbox | floor | "
              "faultline / blackbox | faultline / floor | +rows / blackbox | +rows / floor |")
        print("|---|---|---|---|---|---|---|---|---|---|")
    for kind in KINDS:
        rs = [r for r in runs if r["kind"] == kind]
        if not rs:
            continue
        fd = [r["faultline_default"]["cpu_ms_per_1000"] for r in rs]
        fl = [r["faultline"]["cpu_ms_per_1000"] for r in rs]
        bb = [r["blackbox"]["cpu_ms_per_1000"] for r in rs]
        fo = [r["floor_" + kind]["cpu_ms_per_1000"] for r in rs]
        ratio = lambda a, b: med([x / y for x, y in zip(a, b)])
        print(f"| {rs[0]['targets']:,} {kind}:// | {rs[0]['rate']:.0f} | {med(fd):.1f} | "
              f"{med(fl):.1f} | {med(bb):.1f} | {med(fo):.1f} | {ratio(fd, bb):.3f} | "
              f"{ratio(fd, fo):.2f} | {ratio(fl, bb):.3f} | {ratio(fl, fo):.2f} |")
        if kind == "https":
            tls = [r["floor_tls"]["cpu_ms_per_1000"] for r in rs]
            print(f"| https: floor doing the TLS handshake alone | | | | | {med(tls):.1f} | | "
                  f"{ratio(fd, tls):.2f} | | {ratio(fl, tls):.2f} |")
    if runs:
        print("\nPer repetition, in run order (faultline default / blackbox; faultline default / "
              "floor):\n")
    for kind in KINDS:
        rs = [r for r in runs if r["kind"] == kind]
        if rs:
            per = lambda who: ", ".join(f"{r['faultline_default']['cpu_ms_per_1000'] / r[who]['cpu_ms_per_1000']:.3f}"
                                        for r in rs)
            print(f"- {kind}://: {per('blackbox')}; {per('floor_' + kind)}")
    if runs:
        print("\nfaultline with a row per probe (record_successes), same runs:\n")
        print("| workload | probes/s | lag p50 / p99 / max ms | peak RSS MB | storage rows/s | "
              "ok % | blackbox ok % | floor ok % | loop waiting for CPU % |")
        print("|---|---|---|---|---|---|---|---|---|")
    for kind in KINDS:
        rs = [r for r in runs if r["kind"] == kind]
        if not rs:
            continue
        f = lambda key: med([r["faultline"][key] for r in rs])
        okp = lambda who: med([100.0 * r[who]["ok"] / max(1, r[who]["probes"]) for r in rs])
        print(f"| {rs[0]['targets']:,} {kind}:// | {f('probes_per_s'):.0f} | "
              f"{f('lag_p50_ms'):.0f} / {f('lag_p99_ms'):.0f} / {f('lag_max_ms'):.0f} | "
              f"{f('rss_peak_mb'):.0f} | {f('storage_rows_per_s'):.0f} | {okp('faultline'):.1f} | "
              f"{okp('blackbox'):.1f} | {okp('floor_' + kind):.1f} | {f('runq_wait_pct'):.1f} |")
    if runs:
        print("\nResident memory, MB: faultline (default storage) and blackbox_exporter at the "
              "window's end / their peak (VmHWM; a fresh exporter per workload); the floor the "
              "same, at its exit.\n")
        print("| workload | faultline | faultline +rows | blackbox | floor |")
        print("|---|---|---|---|---|")
    for kind in KINDS:
        rs = [r for r in runs if r["kind"] == kind]
        if not rs:
            continue
        fm = lambda who, key: med([r[who][key] for r in rs])
        bm = lambda key: med([r["blackbox"].get(key, float("nan")) / 1024 for r in rs])
        print(f"| {rs[0]['targets']:,} {kind}:// | "
              f"{fm('faultline_default', 'rss_window_mb'):.0f} / "
              f"{fm('faultline_default', 'rss_window_peak_mb'):.0f} | "
              f"{fm('faultline', 'rss_window_mb'):.0f} / {fm('faultline', 'rss_window_peak_mb'):.0f} | "
              f"{bm('rss_kb'):.0f} / {bm('hwm_kb'):.0f} | "
              f"{med([r['floor_' + kind]['rss_kb'] / 1024 for r in rs]):.1f} / "
              f"{med([r['floor_' + kind]['hwm_kb'] / 1024 for r in rs]):.1f} |")
    if runs:
        print(f"\n{len(runs) // max(1, len({r['kind'] for r in runs}))} repetition(s); medians; "
              "ratios are medians of per-repetition ratios.")
    s = results.get("scale")
    if s:
        print("\n| 100k mixed at 60 s | value |\n|---|---|")
        rows = [("startup (exec -> READY=1)", f"{s['startup_s']:.2f} s"),
                ("reload (SIGHUP -> READY=1)", f"{s.get('reload_s', float('nan')):.2f} s"),
                ("probes/s (expected)", f"{s['probes_per_s']:.0f} ({s['expected'] / s['wall_s']:.0f})"),
                ("probes started in window / expected", f"{s['probes']} / {s['expected']:.0f}"),
                ("skipped (whole run)", f"{s['skipped']:.0f}"),
                ("CPU, fraction of one core", f"{100 * s['core_fraction']:.1f} %"),
                ("CPU ms / 1000 probes", f"{s['cpu_ms_per_1000']:.1f}"),
                ("schedule lag p50 / p99 / max", f"{s['lag_p50_ms']:.0f} / {s['lag_p99_ms']:.0f} / "
                 f"{s['lag_max_ms']:.0f} ms"),
                ("RSS at the window's end / peak until then / peak after a scrape and a reload",
                 f"{s['rss_window_mb']:.0f} / {s['rss_window_peak_mb']:.0f} / "
                 f"{s['rss_peak_mb']:.0f} MB"),
                ("RSS 2 s after the reload", f"{s.get('rss_after_reload_mb', 0):.0f} MB"),
                ("event loop waiting for a CPU (run queue) / load average",
                 f"{s['runq_wait_pct']:.1f} % of the window / {s['load1']:.1f}"),
                ("storage rows/s (probes table)", f"{s['storage_rows_per_s']:.0f}"),
                ("rows dropped / write errors", f"{s['rows_dropped']:.0f} / {s['write_errors']:.0f}"),
                ("one /metrics scrape", f"{s['scrape_s']:.2f} s, {s['scrape_cpu_s']:.2f} CPU s, "
                 f"{s['scrape_mb']:.0f} MB"),
                ("ok", f"{100.0 * s['ok'] / max(1, s['probes']):.1f} %")]
        for k, v in rows:
            print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()

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
then a scale run of 100,000 mixed targets at a 60 s interval (issue 21), moment by moment, each
with its own peak RSS: startup (exec -> READY=1), probing (the CPU window, with a gzip scrape
every 15 s as Prometheus makes them), one plain and one gzip scrape alone (CPU, time, size), a
reload (SIGHUP -> READY=1); then the floor over the same mix at the same rates.
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
import threading
import time
import urllib.request
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HTTPS_ADDRESSES = 64  # the test certificate names 127.3.0.1 .. 127.3.0.64 as IP SANs
DNS_SERVERS = 64  # nsd answers on 127.4.0.1 .. 127.4.0.64
DNS_NAME = "www.bench.test"  # the one A record every dns probe asks for
METRICS_PORT = 19469
METRICS_URL = f"http://127.0.0.1:{METRICS_PORT}/metrics"
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


def mix_counts(count):
    """The scale mix: half tcp://, 40 % http://, 10 % https://."""
    return {"tcp": count // 2, "http": count * 2 // 5,
            "https": count - count // 2 - count * 2 // 5}


def mixed_targets(count):
    return [t for kind, n in mix_counts(count).items() for t in targets(kind, n)]


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


def proc_threads_cpu_s(pid, comm_prefix):
    """User+sys CPU seconds of the process's threads whose name starts with `comm_prefix` (the
    metrics server's are civetweb-worker and civetweb-master): what scrapes cost, apart from
    the probing on the other threads."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if not f.read().startswith(comm_prefix):
                    continue
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended between listing and reading
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


SCRAPE_THREADS = "civetweb"


def kernel_resets_peak_rss():
    """Whether writing 5 to /proc/PID/clear_refs resets VmHWM to the current RSS on this kernel
    (Linux >= 4.0). Checked on a child that touched 64 MB and freed it: its VmHWM must drop."""
    child = subprocess.Popen([sys.executable, "-c",
                              "import sys, time\n"
                              "b = bytearray(64 << 20)\n"
                              "for i in range(0, len(b), 4096): b[i] = 1\n"
                              "del b\n"
                              "print('ready', flush=True)\n"
                              "time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        child.stdout.readline()
        before = proc_status_kb(child.pid, "VmHWM")
        with open(f"/proc/{child.pid}/clear_refs", "w") as f:
            f.write("5")
        after = proc_status_kb(child.pid, "VmHWM")
        return before > 48 * 1024 and after < before - 32 * 1024
    except OSError:
        return False
    finally:
        child.kill()
        child.wait()


class PeakRss:
    """The peak resident set of a process over one moment, in MB: start() before the moment,
    peak_mb() after it. Where the kernel resets VmHWM (clear_refs 5) it is VmHWM; otherwise
    VmRSS sampled every 50 ms by a thread, which can miss a spike shorter than that."""

    def __init__(self, pid, kernel_reset):
        self.pid = pid
        self.kernel_reset = kernel_reset
        self.sampled_kb = 0
        self.stopping = threading.Event()
        if not kernel_reset:
            self.sampled_kb = proc_status_kb(pid, "VmRSS")
            self.sampler = threading.Thread(target=self._sample, daemon=True)
            self.sampler.start()

    def _sample(self):
        while not self.stopping.wait(0.05):
            try:
                self.sampled_kb = max(self.sampled_kb, proc_status_kb(self.pid, "VmRSS"))
            except OSError:
                return

    def start(self):
        if self.kernel_reset:
            with open(f"/proc/{self.pid}/clear_refs", "w") as f:
                f.write("5")
        else:
            self.sampled_kb = proc_status_kb(self.pid, "VmRSS")

    def peak_mb(self):
        if self.kernel_reset:
            return proc_status_kb(self.pid, "VmHWM") / 1024
        return max(self.sampled_kb, proc_status_kb(self.pid, "VmRSS")) / 1024

    def close(self):
        self.stopping.set()


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


def start_faultline(args, work, tlist, interval_s, record):
    """`faultline run` on a fresh config and history database, with a NOTIFY_SOCKET of ours.
    Returns (process, notify socket, log file, monotonic time of the exec)."""
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
    return p, notify, logf, t_exec


def stop_faultline(p, notify, logf):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    notify.close()
    logf.close()


def hold_window(args, pid, window):
    """Lets the daemon run for `window` seconds: under `perf record` (--perf), under the
    --attach command, or alone."""
    if args.perf:
        subprocess.run(["perf", "record", "-q", "-F", "1999", "-g", "-p", str(pid), "-o",
                        args.perf, "--", "sleep", str(window)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elif args.attach:
        subprocess.run(args.attach.format(pid=pid, window=window), shell=True)
    else:
        time.sleep(window)


def measure_cpu_window(args, pid, window):
    """CPU (user+sys, every thread) over a window of `window` seconds, and the share of it the
    event loop spent runnable but waiting for a CPU (how loaded the machine was)."""
    cpu0, t0, unix0 = proc_cpu_s(pid), time.monotonic(), time.time()
    wait0 = runq_wait_s(pid)
    hold_window(args, pid, window)
    cpu1, t1, unix1 = proc_cpu_s(pid), time.monotonic(), time.time()
    return {"wall_s": t1 - t0, "cpu_s": cpu1 - cpu0, "unix0": unix0, "unix1": unix1,
            "runq_wait_pct": 100 * (runq_wait_s(pid) - wait0) / (t1 - t0), "load1": load1()}


def health_counters(text):
    """The daemon's own counters of trouble, from a scrape's text."""
    return {"skipped": scrape_value(text, "faultline_probes_skipped_total"),
            "rows_dropped": scrape_value(text, "faultline_storage_rows_dropped_total"),
            "write_errors": scrape_value(text, "faultline_storage_write_errors_total")}


def count_probes(work, tlist, interval_s, window, record):
    """Probes started inside the window, from the history (record_successes: true), and each
    one's schedule lag: it started at started_at; it was due at the last instant congruent to
    the target's phase offset modulo the interval. Without success rows the count is the fixed
    schedule's (checked against skipped probes) and there is no lag figure."""
    unix0, unix1, wall_s = window["unix0"], window["unix1"], window["wall_s"]
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
        n = round(len(tlist) * wall_s / interval_s)
        ok = n - failed
    return dict(probes=n, ok=ok, probes_per_s=n / wall_s,
                cpu_ms_per_1000=window["cpu_s"] * 1e6 / n if n else float("nan"),
                core_fraction=window["cpu_s"] / wall_s,
                storage_rows_per_s=(n if record else n - ok) / wall_s,
                lag_p50_ms=percentile(lags, 50), lag_p99_ms=percentile(lags, 99),
                lag_max_ms=lags[-1] if lags else float("nan"),
                expected=len(tlist) * wall_s / interval_s)


def run_faultline(args, work, tlist, interval_s, warmup, window, record=True):
    """One per-layer measurement: startup, warm-up, a CPU window without scrapes, then one
    plain scrape. record: storage.record_successes, a history row for every probe (schedule
    lag and the probe count come from those rows)."""
    p, notify, logf, t_exec = start_faultline(args, work, tlist, interval_s, record)
    res = {}
    try:
        res["startup_s"] = notify.wait("READY=1", 120) - t_exec
        time.sleep(warmup)
        res.update(measure_cpu_window(args, p.pid, window))
        res["rss_window_mb"] = proc_status_kb(p.pid, "VmRSS") / 1024
        res["rss_window_peak_mb"] = proc_status_kb(p.pid, "VmHWM") / 1024
        # Everything below happens after the CPU window closed.
        s0, c0 = time.monotonic(), proc_cpu_s(p.pid)
        text = scrape(METRICS_URL, 300).decode()
        res["scrape_s"], res["scrape_cpu_s"] = time.monotonic() - s0, proc_cpu_s(p.pid) - c0
        res["scrape_mb"] = len(text) / 1e6
        res.update(health_counters(text))
        res["rss_peak_mb"] = proc_status_kb(p.pid, "VmHWM") / 1024
        res["rss_mb"] = proc_status_kb(p.pid, "VmRSS") / 1024
    finally:
        stop_faultline(p, notify, logf)
    res.update(count_probes(work, tlist, interval_s, res, record))
    return res


# ---------------------------------------------------------------------------------------------
# The scale run: 100,000 targets, every moment's peak RSS, Prometheus scraping every 15 s.

STARTUP_SETTLE_S = 2  # the startup moment: exec -> READY=1, then this (first probes, trims)
RELOAD_SETTLE_S = 2  # the reload moment: SIGHUP -> READY=1, then this
SCRAPE_EVERY_S = 15  # Prometheus's default scrape_interval


def timed_scrape(gzip, timeout_s=300):
    """One GET of /metrics, with `Accept-Encoding: gzip` (what Prometheus sends) or without.
    Returns (body as received, its Content-Encoding, wall seconds)."""
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    t0 = time.monotonic()
    with urllib.request.urlopen(urllib.request.Request(METRICS_URL, headers=headers),
                                timeout=timeout_s) as r:
        body = r.read()
        encoding = r.headers.get("Content-Encoding") or "identity"
    return body, encoding, time.monotonic() - t0


class PeriodicScraper:
    """Prometheus's side of a production run: `count` gzip scrapes, one every `every_s`
    seconds from start(), the first at once; each one's wall time and bytes on the wire.
    Decompressing is left out so the harness takes no CPU from the daemon during the window."""

    def __init__(self, every_s, count):
        self.every_s, self.count = every_s, count
        self.walls, self.wire_bytes, self.encodings, self.errors = [], [], set(), []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.t0 = time.monotonic()
        self.thread.start()

    def _run(self):
        for k in range(self.count):
            time.sleep(max(0.0, self.t0 + k * self.every_s - time.monotonic()))
            try:
                body, encoding, wall = timed_scrape(gzip=True)
            except OSError as e:
                self.errors.append(str(e))
                continue
            self.walls.append(wall)
            self.wire_bytes.append(len(body))
            self.encodings.add(encoding)
        self.t_end = time.monotonic()

    def join(self):
        self.thread.join()
        return {"window_scrapes": len(self.walls), "window_scrape_walls_s": self.walls,
                "window_scrape_wire_mb": med(self.wire_bytes) / 1e6 if self.wire_bytes else 0,
                "window_scrape_encodings": sorted(self.encodings),
                "window_scrape_errors": self.errors}


def measure_probing_with_scrapes(args, pid, peak, window):
    """The CPU window with a gzip scrape every 15 s, as in production: CPU of the whole
    process and of the metrics server's threads (the scrapes' share), each scrape's wall time,
    and the peak RSS over the window."""
    scraper = PeriodicScraper(SCRAPE_EVERY_S, -(-int(window) // SCRAPE_EVERY_S))
    peak.start()
    threads0 = proc_threads_cpu_s(pid, SCRAPE_THREADS)
    scraper.start()
    res = measure_cpu_window(args, pid, window)
    res["window_scrape_cpu_s"] = proc_threads_cpu_s(pid, SCRAPE_THREADS) - threads0
    res["rss_probing_peak_mb"] = peak.peak_mb()
    res["rss_window_mb"] = proc_status_kb(pid, "VmRSS") / 1024
    res.update(scraper.join())
    # A scrape still running when the window closed had part of its CPU outside the window.
    res["window_scrape_overran"] = scraper.t_end > scraper.t0 + res["wall_s"]
    return res


def measure_scrape_alone(pid, peak, gzip):
    """One scrape after the window, nothing else asking: wall time, CPU of the metrics
    server's threads (and of the whole process, probing included, over the same time), bytes
    on the wire (the body, chunk framing excluded), the text's size, and the peak RSS.
    Returns (figures, the exposition text)."""
    key = "gzip" if gzip else "plain"
    peak.start()
    c0, th0 = proc_cpu_s(pid), proc_threads_cpu_s(pid, SCRAPE_THREADS)
    body, encoding, wall = timed_scrape(gzip)
    c1, th1 = proc_cpu_s(pid), proc_threads_cpu_s(pid, SCRAPE_THREADS)
    rss = peak.peak_mb()
    text = zlib.decompress(body, 16 + zlib.MAX_WBITS) if encoding == "gzip" else body
    return ({f"{key}_scrape_s": wall, f"{key}_scrape_cpu_s": th1 - th0,
             f"{key}_scrape_process_cpu_s": c1 - c0, f"{key}_scrape_wire_mb": len(body) / 1e6,
             f"{key}_scrape_text_mb": len(text) / 1e6, f"{key}_scrape_encoding": encoding,
             f"rss_{key}_scrape_peak_mb": rss}, text.decode())


def measure_reload(args, p, notify, peak):
    """SIGHUP with the same file: time to READY=1, and the peak RSS until RELOAD_SETTLE_S
    after it (the new config built beside the running one, then the old one freed)."""
    perf = None
    if args.perf_reload:
        perf = subprocess.Popen(["perf", "record", "-q", "-F", "999", "--call-graph",
                                 "dwarf,16384", "-p", str(p.pid), "-o", args.perf_reload],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
    peak.start()
    t_hup = time.monotonic()
    p.send_signal(signal.SIGHUP)
    notify.wait("RELOADING=1", 60)
    res = {"reload_s": notify.wait("READY=1", 120) - t_hup}
    time.sleep(RELOAD_SETTLE_S)
    res["rss_reload_peak_mb"] = peak.peak_mb()
    res["rss_after_reload_mb"] = proc_status_kb(p.pid, "VmRSS") / 1024
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    return res


def run_scale(args, work, tlist, interval_s, warmup, window):
    """The 100,000-target run, moment by moment, each with its own peak RSS: startup (exec ->
    READY=1 + 2 s), probing (the CPU window, scraped every 15 s with gzip), one plain and one
    gzip scrape alone, a reload (SIGHUP -> READY=1 + 2 s)."""
    p, notify, logf, t_exec = start_faultline(args, work, tlist, interval_s, record=True)
    peak = PeakRss(p.pid, args.kernel_resets_peak_rss)
    res = {"peak_rss_from": "VmHWM reset per moment (clear_refs 5)" if peak.kernel_reset
           else "VmRSS sampled every 50 ms"}
    try:
        res["startup_s"] = notify.wait("READY=1", 120) - t_exec
        time.sleep(STARTUP_SETTLE_S)
        # A fresh process: its VmHWM so far is the startup's peak.
        res["rss_startup_peak_mb"] = peak.peak_mb()
        time.sleep(max(0, warmup - STARTUP_SETTLE_S))
        res.update(measure_probing_with_scrapes(args, p.pid, peak, window))
        # Everything below happens after the CPU window closed.
        figures, text = measure_scrape_alone(p.pid, peak, gzip=False)
        res.update(figures)
        res.update(health_counters(text))
        res.update(measure_scrape_alone(p.pid, peak, gzip=True)[0])
        res.update(measure_reload(args, p, notify, peak))
    finally:
        peak.close()
        stop_faultline(p, notify, logf)
    res.update(count_probes(work, tlist, interval_s, res, record=True))
    n = res["probes"]
    res["scrape_cpu_share"] = res["window_scrape_cpu_s"] / res["cpu_s"]
    res["cpu_ms_per_1000_without_scrapes"] = ((res["cpu_s"] - res["window_scrape_cpu_s"]) * 1e6 / n
                                              if n else float("nan"))
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


def run_floor(args, work, tlist, mode, rate, warmup, window, extra=()):
    tfile = f"{work}/floor.txt"
    with open(tfile, "w") as f:
        for _, _, ip, port in tlist:
            f.write(f"{ip} {port} {DNS_NAME}\n" if mode == "dns" else f"{ip} {port}\n")
    out = subprocess.run([args.floor, "--mode", mode, "--targets", tfile, "--rate", str(rate),
                          "--warmup", str(warmup), "--duration", str(window), *extra],
                         check=True, capture_output=True, text=True).stdout
    return parse_kv(out)


def run_floor_mix(args, work, count, interval_s, warmup, window):
    """The floor over the scale mix: floor_probe in each mode on that kind's share of the scale
    targets at its scale rate (100,000 at 60 s: 833 tcp/s, 667 http/s, 167 https/s), and the
    mix's cost per 1,000 probes: the three modes' CPU per second at those rates over the mix's
    probes per second (total floor CPU / total floor probes, each mode weighted by its rate).
    The modes run one after the other, not at once: the floor has no state shared between
    modes, so its CPU per probe in a mode does not depend on what runs beside it, while three
    floors, nginx and the harness at once on 2 shared cores would measure contention, not the
    floor; apart, each mode's figure also compares with the per-layer workloads'. The https
    mode runs a second time with a fresh SSL_CTX per probe (what libcurl 7.88 builds per
    connection): the difference is that cost alone."""
    res = {}
    rates = {}
    for kind, n in mix_counts(count).items():
        tl = targets(kind, n)
        rates[kind] = n / interval_s
        log(f"scale: floor ({kind}) on {n} targets at {rates[kind]:.0f}/s")
        res[kind] = run_floor(args, work, tl, kind, rates[kind], warmup, window)
    log(f"scale: floor (https, SSL_CTX per probe) at {rates['https']:.0f}/s")
    res["https_ctx_per_probe"] = run_floor(args, work, targets("https", mix_counts(count)["https"]),
                                           "https", rates["https"], warmup, window,
                                           ["--ctx-per-probe"])
    res["rates"] = rates
    res["mix_cpu_ms_per_1000"] = (sum(res[k]["cpu_ms_per_1000"] * r for k, r in rates.items())
                                  / sum(rates.values()))
    return res


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", nargs="?", default="quick", choices=["quick", "full"])
    ap.add_argument("--build", default=os.path.join(ROOT, "build-rel"))
    ap.add_argument("--workloads", default="tcp,http,https,dns,icmp,scale")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--count", type=int, help="targets per workload instead of 10,000/1,000")
    ap.add_argument("--scale-count", type=int, default=100_000,
                    help="targets of the scale run (a smaller one is a smoke test)")
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
    # The scale window opens once every target has been probed (its interval is 60 s): a
    # target's first probe creates its metric series and store records, and a scrape before
    # then sees only part of the exposition, so an earlier window measures the ramp-up.
    scale_warmup, scale_window = (70, 60) if quick else (80, 120)
    scale_floor_window = 30 if quick else 60  # per floor mode (three, and https again)
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
            args.kernel_resets_peak_rss = kernel_resets_peak_rss()
            log(f"scale: faultline, {args.scale_count} mixed targets at 60s "
                f"({scale_window}s window, "
                f"scraped every {SCRAPE_EVERY_S}s); peak RSS per moment from "
                f"{'VmHWM (clear_refs 5)' if args.kernel_resets_peak_rss else 'sampled VmRSS'}")
            results["scale"] = run_scale(args, work, mixed_targets(args.scale_count), 60,
                                         scale_warmup, scale_window)
            results["scale"]["targets"] = args.scale_count
            results["scale"]["floor"] = run_floor_mix(args, work, args.scale_count, 60, warmup,
                                                      scale_floor_window)
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
    if results.get("scale"):
        print_scale_table(results["scale"])


def goal_status(value, limit):
    """"met" or "**missed**" for a figure whose goal is `value <= limit`."""
    if value != value:
        return "not measured"
    return "met" if value <= limit else "**missed**"


def scale_rows(s):
    """(figure, value, goal, met?) rows of the 100,000-target run; goals are issue 21's."""
    fl = s.get("floor")
    nan = float("nan")
    walls = sorted(s.get("window_scrape_walls_s", []))
    mix = fl["mix_cpu_ms_per_1000"] if fl else nan
    with_scrapes, without = s["cpu_ms_per_1000"], s["cpu_ms_per_1000_without_scrapes"]
    rss = lambda key: s.get(key, nan)
    rows = [
        ("startup (exec -> READY=1)", f"{s['startup_s']:.2f} s", "≤ 2 s",
         goal_status(s["startup_s"], 2)),
        ("reload, same file (SIGHUP -> READY=1)", f"{s['reload_s']:.2f} s", "≤ 2 s",
         goal_status(s["reload_s"], 2)),
        ("peak RSS, startup (exec -> READY=1 + 2 s)", f"{rss('rss_startup_peak_mb'):.0f} MB",
         "≤ 300 MB", goal_status(rss("rss_startup_peak_mb"), 300)),
        (f"peak RSS, probing window (gzip scrape every {SCRAPE_EVERY_S} s)",
         f"{rss('rss_probing_peak_mb'):.0f} MB (at its end {rss('rss_window_mb'):.0f} MB)",
         "≤ 300 MB", goal_status(rss("rss_probing_peak_mb"), 300)),
        ("peak RSS, one plain scrape", f"{rss('rss_plain_scrape_peak_mb'):.0f} MB", "≤ 300 MB",
         goal_status(rss("rss_plain_scrape_peak_mb"), 300)),
        ("peak RSS, one gzip scrape", f"{rss('rss_gzip_scrape_peak_mb'):.0f} MB", "≤ 300 MB",
         goal_status(rss("rss_gzip_scrape_peak_mb"), 300)),
        ("peak RSS, reload (SIGHUP -> READY=1 + 2 s)",
         f"{rss('rss_reload_peak_mb'):.0f} MB "
         f"(2 s after READY=1 {rss('rss_after_reload_mb'):.0f} MB)",
         "≤ 300 MB", goal_status(rss("rss_reload_peak_mb"), 300))]
    for key in ("plain", "gzip"):
        f = lambda name: s[f"{key}_scrape_{name}"]
        rows.append((f"one {key} scrape alone: CPU of the metrics server (whole process over it), "
                     "wall, on the wire / text",
                     f"{f('cpu_s'):.2f} CPU s ({f('process_cpu_s'):.2f}), {f('s'):.2f} s, "
                     f"{f('wire_mb'):.1f} / {f('text_mb'):.1f} MB ({f('encoding')})",
                     "≤ 0.5 CPU s", goal_status(f("cpu_s"), 0.5)))
    rows += [
        ("scrapes in the window: count, wall p50 / max, MB on the wire each",
         f"{s['window_scrapes']} ({', '.join(s['window_scrape_encodings'])}), "
         f"{percentile(walls, 50):.2f} / {walls[-1] if walls else nan:.2f} s, "
         f"{s['window_scrape_wire_mb']:.1f} MB", "", ""),
        ("probes/s (expected)", f"{s['probes_per_s']:.0f} ({s['expected'] / s['wall_s']:.0f})",
         "", ""),
        ("probes started in window / expected", f"{s['probes']} / {s['expected']:.0f}", "", ""),
        ("skipped (whole run)", f"{s['skipped']:.0f}", "0", goal_status(s["skipped"], 0)),
        ("CPU, fraction of one core (scrapes included)", f"{100 * s['core_fraction']:.1f} %",
         "", ""),
        ("CPU ms / 1000 probes: with the scrapes / without them",
         f"{with_scrapes:.1f} / {without:.1f}", "", ""),
        ("scrapes' share of the window's CPU (metrics server threads)",
         f"{100 * s['scrape_cpu_share']:.1f} % ({s['window_scrape_cpu_s']:.2f} CPU s)", "", "")]
    if fl:
        per = ", ".join(f"{k} {fl[k]['cpu_ms_per_1000']:.1f} at {fl['rates'][k]:.0f}/s"
                        for k in fl["rates"])
        rows += [
            ("floor over the mix, CPU ms / 1000 probes", f"{mix:.1f} ({per})", "", ""),
            ("floor https with an SSL_CTX per probe (as libcurl 7.88)",
             f"{fl['https_ctx_per_probe']['cpu_ms_per_1000']:.1f} ms / 1000", "", ""),
            ("faultline / floor over the mix: with the scrapes / without",
             f"{with_scrapes / mix:.2f} / {without / mix:.2f}", "≤ 1.5×",
             goal_status(with_scrapes / mix, 1.5)),
            ("floor ok", ", ".join(f"{k} {100.0 * fl[k]['ok'] / max(1, fl[k]['probes']):.1f} %"
                                   for k in fl["rates"]), "", "")]
    rows += [
        ("schedule lag p50 / p99 / max", f"{s['lag_p50_ms']:.0f} / {s['lag_p99_ms']:.0f} / "
         f"{s['lag_max_ms']:.0f} ms", "", ""),
        ("event loop waiting for a CPU (run queue) / load average",
         f"{s['runq_wait_pct']:.1f} % of the window / {s['load1']:.1f}", "", ""),
        ("storage rows/s (probes table)", f"{s['storage_rows_per_s']:.0f}", "", ""),
        ("rows dropped / write errors", f"{s['rows_dropped']:.0f} / {s['write_errors']:.0f}",
         "", ""),
        ("ok", f"{100.0 * s['ok'] / max(1, s['probes']):.1f} %", "", "")]
    return rows


def print_scale_table(s):
    print(f"\n{s.get('targets', 100_000):,} mixed targets at 60 s; peak RSS from "
          f"{s['peak_rss_from']}.\n")
    print("| scale run | value | goal | |\n|---|---|---|---|")
    for figure, value, goal, status in scale_rows(s):
        print(f"| {figure} | {value} | {goal} | {status} |")


if __name__ == "__main__":
    main()

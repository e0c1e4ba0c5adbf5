#!/bin/bash
# faultline's benchmark (issue 9): faultline vs prometheus-blackbox-exporter vs a C floor, on
# loopback targets served by nginx (tcp, http, https), nsd (dns) and the namespace's own
# addresses (icmp), then 100,000 mixed targets at 60 s. Prints the tables that
# docs/BENCHMARKS.md quotes.
#
#   bench/run.sh [quick|full] [--workloads tcp,http,https,dns,icmp,scale] [--reps N] [--keep]
#
# quick: one repetition, 10 s windows, a 60 s scale window (a few minutes); full: three
# repetitions, 30 s windows, a 120 s scale window. Needs root (a network namespace of its own,
# a raised fd limit) and Debian's nginx-light, prometheus-blackbox-exporter, openssl and nsd:
#   apt-get install -y nginx-light prometheus-blackbox-exporter openssl nsd
# Everything runs inside a fresh network namespace whose only interface is loopback, so the
# servers' wildcard listeners reach nothing else and the namespace vanishes with the run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-rel}

if [[ $(id -u) != 0 ]]; then
  echo "bench/run.sh: needs root (unshare --net, fd limits)" >&2
  exit 2
fi
for tool in nginx prometheus-blackbox-exporter openssl nsd unshare ip python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench/run.sh: $tool is missing (apt-get install nginx-light prometheus-blackbox-exporter openssl nsd)" >&2
    exit 2
  fi
done

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DFAULTLINE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target faultline floor_probe probe_driver >/dev/null

# A mount namespace too: run.py bind-mounts a copy of the system CA bundle with the bench's test
# CA added over /etc/ssl/certs/ca-certificates.crt, so https probes use the system trust store
# (the realistic, expensive path) without touching the machine's own.
exec unshare --net --mount --propagation private -- bash -c '
  set -e
  ip link set lo up
  # Ephemeral ports: the widest range; each target has its own destination address anyway.
  sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
  # icmp://: the unprivileged ping socket (faultline, the floor, and blackbox_exporter, which
  # tries it before a raw socket) for every group, in this namespace only.
  sysctl -qw net.ipv4.ping_group_range="0 2147483647"
  ulimit -n "$(ulimit -Hn)"  # faultline raises it too; the hard limit needs CAP_SYS_RESOURCE
  FAULTLINE_BENCH_NAMESPACES=1 exec python3 "$0" --build "$1" "${@:2}"' "$root/bench/run.py" "$build" "$@"

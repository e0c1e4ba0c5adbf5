#!/usr/bin/env bash
# Soak: `faultline run` against nginx on loopback for a long time, with a third of the targets
# failing in ways that change every --rotate seconds, sampling the daemon's resident memory,
# open descriptors and WAL size every --sample seconds. Prints those figures and whether RSS
# stayed flat (within --rss-tolerance percent between the median of the warm-up's last --window
# seconds and the median of the run's last --window seconds), descriptors stayed flat and the
# WAL stayed bounded; exits 1 when one did not.
#
#   bench/soak.sh [--binary build-rel/faultline] [--targets 5000] [--duration 600] [--warmup 120]
#                 [--interval 30s] [--timeout 5s] [--rotate 60] [--rss-tolerance 10]
#                 [--sample 5] [--window 30] [--work DIR] [--base-port 18400|auto]
#
# Needs root or a user who may bind the ports, nginx (Debian's nginx-light), openssl and curl.
# Every server is on 127.0.0.1. Failing targets use https:// and rotate over eight ways to
# fail: refused (no listener), reset (444 + SO_LINGER 0), closed (444), timeout (limit_req
# delays the answer past the deadline), tls/untrusted (self-signed), tls/hostname_mismatch,
# tls/handshake (plain HTTP on the port) and http/503. The others get 200 over http or https.
set -euo pipefail

binary=build-rel/faultline targets=5000 duration=600 warmup=120 interval=30s timeout=5s
rotate=60 tolerance=10 work="" base=18400 sample=5 window=30
while [ $# -gt 0 ]; do
  case $1 in
    --binary) binary=$2 ;; --targets) targets=$2 ;; --duration) duration=$2 ;;
    --warmup) warmup=$2 ;; --interval) interval=$2 ;; --timeout) timeout=$2 ;;
    --rotate) rotate=$2 ;; --rss-tolerance) tolerance=$2 ;; --work) work=$2 ;;
    --base-port) base=$2 ;; --sample) sample=$2 ;; --window) window=$2 ;;
    *) echo "soak.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
[ "$warmup" -lt "$duration" ] || { echo "soak.sh: --warmup must be shorter than --duration" >&2; exit 2; }
# "auto": a base below the ephemeral ports where none of ours (base .. base+17) has a listener.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ "$base" = auto ]; then
  for _ in $(seq 50); do
    base=$((20000 + RANDOM % 12000)) busy=0  # below the ephemeral range (32768-60999)
    for p in $(seq "$base" $((base + 17))); do port_in_use "$p" && busy=1 && break; done
    [ "$busy" = 0 ] && break
  done
fi
binary=$(realpath "$binary")
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "soak.sh: nginx not found (apt-get install nginx-light)" >&2; exit 2; }
work=${work:-$(mktemp -d /tmp/faultline-soak.XXXXXX)}
mkdir -p "$work"
cd "$work"
rm -f nginx.pid samples.tsv metrics.txt faultline.db faultline.db-wal faultline.db-shm

ok_http=$base ok_https=$((base + 1)) metrics_port=$((base + 2))
behaviours=(refused reset closed timeout untrusted mismatch handshake http503)
slots=${#behaviours[@]}
slot_port() { echo $((base + 10 + $1)); }

# --- certificates: a CA, a good leaf, a wrong-name leaf (both signed), a self-signed one.
make_leaf() {  # name, SAN, signed-by-CA (yes/no)
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
    -subj "/CN=$1" -out "$1.csr" 2>/dev/null
  printf 'subjectAltName=%s\n' "$2" >"$1.ext"
  if [ "$3" = yes ]; then
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
      -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  else
    openssl x509 -req -in "$1.csr" -signkey "$1.key" -days 30 -extfile "$1.ext" \
      -out "$1.pem" 2>/dev/null
  fi
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
  -subj "/CN=faultline soak CA" -days 30 -out ca.pem 2>/dev/null
make_leaf good "DNS:localhost,IP:127.0.0.1" yes
make_leaf wrong "DNS:wrong.example" yes
make_leaf selfsigned "DNS:localhost,IP:127.0.0.1" no

# --- nginx: the config for rotation epoch $1; slot i plays behaviours[(i + epoch) % slots].
nginx_conf() {
  local epoch=$1 i b port
  cat <<CONF
worker_processes 2;
worker_rlimit_nofile 65536;
pid $work/nginx.pid;
error_log $work/nginx-error.log crit;
events { worker_connections 16384; }
http {
  access_log off;
  limit_req_zone \$server_port zone=slow:1m rate=1r/m;
  limit_req_status 429;
  ssl_certificate $work/good.pem;
  ssl_certificate_key $work/good.key;
  server { listen 127.0.0.1:$ok_http; return 200 "ok\n"; }
  server { listen 127.0.0.1:$ok_https ssl; return 200 "ok\n"; }
CONF
  for ((i = 0; i < slots; i++)); do
    b=${behaviours[$(((i + epoch) % slots))]} port=$(slot_port $i)
    case $b in
      refused) ;;
      reset) echo "  server { listen 127.0.0.1:$port ssl; reset_timedout_connection on; return 444; }" ;;
      closed) echo "  server { listen 127.0.0.1:$port ssl; return 444; }" ;;
      # limit_req runs after `return`, so this one serves a file: the 200 comes only after the
      # queue (one request a minute) lets it through, long after any deadline.
      timeout) echo "  server { listen 127.0.0.1:$port ssl; root $work/www; location / { limit_req zone=slow burst=100000; try_files /ok.txt =404; } }" ;;
      untrusted) echo "  server { listen 127.0.0.1:$port ssl; ssl_certificate $work/selfsigned.pem; ssl_certificate_key $work/selfsigned.key; return 200; }" ;;
      mismatch) echo "  server { listen 127.0.0.1:$port ssl; ssl_certificate $work/wrong.pem; ssl_certificate_key $work/wrong.key; return 200; }" ;;
      handshake) echo "  server { listen 127.0.0.1:$port; return 200; }" ;;
      http503) echo "  server { listen 127.0.0.1:$port ssl; return 503; }" ;;
    esac
  done
  echo "}"
}
mkdir -p www && echo ok >www/ok.txt
nginx_conf 0 >nginx.conf
"$nginx" -t -q -c "$work/nginx.conf" -p "$work" -g 'daemon on;'
"$nginx" -c "$work/nginx.conf" -p "$work" -g 'daemon on;'

# --- faultline's config: every third target fails.
{
  echo "storage: {path: $work/faultline.db}"
  echo "metrics: {listen: 127.0.0.1:$metrics_port}"
  echo "log: {level: warn}"
  echo "defaults: {interval: $interval, timeout: $timeout, ca_file: $work/ca.pem, expect_status: [200]}"
  echo "targets:"
  for ((t = 0; t < targets; t++)); do
    if ((t % 3 == 2)); then
      echo "  - {name: t$t, url: 'https://127.0.0.1:$(slot_port $(((t / 3) % slots)))/t/$t'}"
    elif ((t % 2 == 0)); then
      echo "  - {name: t$t, url: 'http://127.0.0.1:$ok_http/t/$t'}"
    else
      echo "  - {name: t$t, url: 'https://127.0.0.1:$ok_https/t/$t'}"
    fi
  done
} >faultline.yaml

"$binary" run -c faultline.yaml >faultline.log 2>&1 &
pid=$!
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  if kill -TERM "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
  if [ -f "$work/nginx.pid" ]; then "$nginx" -c "$work/nginx.conf" -p "$work" -s stop 2>/dev/null || true; fi
}
trap cleanup EXIT

echo "soak: $targets targets ($((targets / 3)) failing, rotating every ${rotate}s), interval $interval," \
  "$duration s with $warmup s warm-up; work dir $work"
printf 'second\trss_kib\tfds\twal_bytes\tdb_bytes\n' >samples.tsv
start=$SECONDS epoch=0
while (( SECONDS - start < duration )); do
  sleep "$sample"
  kill -0 "$pid" 2>/dev/null || { echo "soak: faultline exited"; tail -20 faultline.log; exit 1; }
  now=$((SECONDS - start))
  if (( now / rotate > epoch )); then
    epoch=$((now / rotate))
    nginx_conf "$epoch" >nginx.conf
    "$nginx" -c "$work/nginx.conf" -p "$work" -s reload 2>>nginx-error.log
  fi
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
  wal=$(stat -c %s faultline.db-wal 2>/dev/null || echo 0)
  db=$(stat -c %s faultline.db 2>/dev/null || echo 0)
  printf '%s\t%s\t%s\t%s\t%s\n' "$now" "$rss" "$fds" "$wal" "$db" >>samples.tsv
done
curl -fsS "http://127.0.0.1:$metrics_port/metrics" >metrics.txt || true

# --- figures. "At warm-up" and "at the end" are medians over --window seconds, to ride out one
# GC-like spike of the allocator.
median() {  # column, from second, to second
  awk -v c="$1" -v a="$2" -v b="$3" 'NR > 1 && $1 >= a && $1 <= b {print $c}' samples.tsv |
    sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
rss_warm=$(median 2 $((warmup - window)) "$warmup")
rss_end=$(median 2 $((duration - window)) "$duration")
fds_warm=$(median 3 $((warmup - window)) "$warmup")
fds_end=$(median 3 $((duration - window)) "$duration")
fds_max=$(awk 'NR > 1 && $3 > m {m = $3} END {print m}' samples.tsv)
wal_max=$(awk 'NR > 1 && $4 > m {m = $4} END {print m}' samples.tsv)
db_end=$(tail -1 samples.tsv | cut -f5)
rss_change=$(awk -v a="$rss_warm" -v b="$rss_end" 'BEGIN {printf "%+.1f", (b - a) * 100 / a}')
echo "probes by class: $(grep '^faultline_probes_total{' metrics.txt |
  sed -E 's/.*class="([a-z]+)".* ([0-9.e+]+)$/\1 \2/' |
  awk '{n[$1] += $2} END {for (k in n) printf "%s=%d ", k, n[k]}')"
echo "RSS: ${rss_warm} KiB after warm-up, ${rss_end} KiB at the end (${rss_change}%)"
echo "descriptors: ${fds_warm} after warm-up, ${fds_end} at the end, ${fds_max} at most"
echo "WAL: at most $((wal_max / 1024)) KiB; database $((db_end / 1024)) KiB at the end"
fail=0
if awk -v c="$rss_change" -v t="$tolerance" 'BEGIN {exit !(c > t || c < -t)}'; then
  echo "FAIL: RSS moved by more than ${tolerance}%"; fail=1
else
  echo "ok: RSS flat within ${tolerance}%"
fi
if (( fds_end > fds_warm + 16 )); then echo "FAIL: descriptors grew"; fail=1; else echo "ok: descriptors flat"; fi
if (( wal_max > 32 * 1024 * 1024 )); then echo "FAIL: WAL above 32 MiB"; fail=1; else echo "ok: WAL bounded"; fi
exit $fail

/* The floor: the least a prober can do per probe, written plainly in C on epoll, so the benchmark
 * can say how close faultline gets to the kernel's own cost. Each probe opens a fresh
 * non-blocking socket, connects and, depending on the mode:
 *   tcp    closes as soon as the connection is up;
 *   http   sends a minimal GET, reads the response (headers + Content-Length body), closes;
 *   tls    does a full TLS handshake (certificate and name verified, no session resumption);
 *   https  does the TLS handshake, then the GET, then closes;
 *   dns    (a connected UDP socket) sends one query for the target's name, type A, recursion
 *          desired (as c-ares and blackbox_exporter ask), reads the answer and takes it as ok
 *          when its ID matches and it is a NOERROR response with at least one answer record;
 *   icmp   (the unprivileged ping socket, as faultline and blackbox_exporter use it: no
 *          connect) sends one echo request with 56 bytes of data and waits for the echo reply
 *          with its sequence number. The kernel sets the identifier and the checksum.
 * --ctx-per-probe (tls, https): a fresh SSL_CTX per probe, set up as libcurl 7.88's OpenSSL
 * backend sets up its own per connection (new context, the default cipher list parsed, the
 * shared certificate store, peer verification, no session cache), where by default one SSL_CTX
 * serves every probe: the difference between the two is what that per-connection context costs.
 * Probes start at a fixed rate, round-robin over the targets. After --warmup seconds it measures
 * its own CPU (getrusage: user+sys) for --duration seconds and prints one line of key=value.
 *
 * Usage: floor_probe --mode tcp|http|tls|https|dns|icmp --targets FILE --rate N --warmup S
 *                    --duration S [--timeout-ms 5000] [--ca FILE] [--ctx-per-probe]
 * FILE holds one target per line: "IP PORT", and for dns "IP PORT NAME" (the name to ask); the
 * port of an icmp target is ignored. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { MODE_TCP, MODE_HTTP, MODE_TLS, MODE_HTTPS, MODE_DNS, MODE_ICMP };
enum stage { ST_CONNECT, ST_HANDSHAKE, ST_SEND, ST_RECV };

struct target {
  struct sockaddr_in addr;
  char host[INET_ADDRSTRLEN];
  /* dns: the whole query message, its ID (the first two bytes) set per probe. */
  unsigned char query[300];
  size_t query_len;
};

struct conn {
  int fd;
  enum stage stage;
  int measured; /* started inside the measurement window */
  double started;
  SSL* ssl;
  size_t sent;
  size_t got;
  char buf[2048];
  const struct target* target;
  struct conn* prev; /* in-flight list, oldest first, for timeouts */
  struct conn* next;
  uint16_t id; /* dns: the query's ID; icmp: the echo's sequence number */
};

static enum mode g_mode;
static SSL_CTX* g_ctx;
static int g_ctx_per_probe;
static int g_epoll;
static struct conn* g_head;
static struct conn* g_tail;
static long g_ok, g_failed, g_started_in_window, g_timeouts;
static uint32_t g_random = 2463534242u; /* xorshift32 state: DNS query IDs */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* VmRSS and VmHWM of this process, in kB. Not getrusage's ru_maxrss: that keeps the peak of the
 * process image before exec, i.e. the Python harness that forked us. */
static void self_memory_kb(long* rss_kb, long* hwm_kb) {
  char line[256];
  FILE* f = fopen("/proc/self/status", "r");
  if (!f) return;
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, "VmRSS:", 6)) *rss_kb = atol(line + 6);
    if (!strncmp(line, "VmHWM:", 6)) *hwm_kb = atol(line + 6);
  }
  fclose(f);
}

static void list_remove(struct conn* c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    g_head = c->next;
  if (c->next)
    c->next->prev = c->prev;
  else
    g_tail = c->prev;
}

static void finish(struct conn* c, int ok) {
  if (c->measured) {
    if (ok)
      g_ok++;
    else
      g_failed++;
  }
  list_remove(c);
  if (c->ssl) SSL_free(c->ssl);
  close(c->fd); /* closing also removes it from the epoll set */
  free(c);
}

static void watch(struct conn* c, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(g_epoll, EPOLL_CTL_MOD, c->fd, &ev);
}

static const char* request_for(const struct conn* c, size_t* len) {
  static char req[256];
  int n = snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\nAccept: */*\r\n\r\n",
                   c->target->host);
  *len = (size_t)n;
  return req;
}

/* True once the buffer holds a whole response: headers and Content-Length bytes of body. */
static int response_complete(const struct conn* c, int* status) {
  const char* end = memmem(c->buf, c->got, "\r\n\r\n", 4);
  if (!end) return 0;
  *status = (c->got > 12 && memcmp(c->buf, "HTTP/1.", 7) == 0) ? atoi(c->buf + 9) : 0;
  size_t body = 0;
  const char* cl = memmem(c->buf, (size_t)(end - c->buf), "Content-Length:", 15);
  if (cl) body = (size_t)strtoul(cl + 15, NULL, 10);
  return c->got >= (size_t)(end - c->buf) + 4 + body;
}

static void advance(struct conn* c);

/* --ctx-per-probe: what libcurl 7.88 (lib/vtls/openssl.c, ossl_connect_step1) does to a
 * context of its own for each connection, with the CA store cached (shared, as faultline gets
 * it from CURLOPT_CA_CACHE_TIMEOUT). */
static SSL_CTX* probe_ctx(void) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_cipher_list(ctx, "ALL:!EXPORT:!EXPORT40:!EXPORT56:!aNULL:!LOW:!RC4:@STRENGTH");
  X509_STORE* store = SSL_CTX_get_cert_store(g_ctx);
  X509_STORE_up_ref(store);
  SSL_CTX_set_cert_store(ctx, store);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  return ctx;
}

static void on_connected(struct conn* c) {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    finish(c, 0);
    return;
  }
  if (g_mode == MODE_TCP) {
    finish(c, 1);
    return;
  }
  if (g_mode == MODE_TLS || g_mode == MODE_HTTPS) {
    if (g_ctx_per_probe) {
      /* SSL_new holds its own reference: the context goes with the SSL in finish(). */
      SSL_CTX* ctx = probe_ctx();
      c->ssl = SSL_new(ctx);
      SSL_CTX_free(ctx);
    } else {
      c->ssl = SSL_new(g_ctx);
    }
    SSL_set_fd(c->ssl, c->fd);
    /* IP-literal targets: the certificate must name the IP (an IP SAN), as curl checks it. */
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->target->host);
    SSL_set_connect_state(c->ssl);
    c->stage = ST_HANDSHAKE;
  } else {
    c->stage = ST_SEND;
  }
  advance(c);
}

static void advance(struct conn* c) {
  for (;;) {
    if (c->stage == ST_HANDSHAKE) {
      int rc = SSL_do_handshake(c->ssl);
      if (rc == 1) {
        if (g_mode == MODE_TLS) {
          finish(c, 1);
          return;
        }
        c->stage = ST_SEND;
        continue;
      }
      int e = SSL_get_error(c->ssl, rc);
      if (e == SSL_ERROR_WANT_READ) {
        watch(c, EPOLLIN);
        return;
      }
      if (e == SSL_ERROR_WANT_WRITE) {
        watch(c, EPOLLOUT);
        return;
      }
      ERR_clear_error();
      finish(c, 0);
      return;
    }
    if (c->stage == ST_SEND) {
      size_t len;
      const char* req = request_for(c, &len);
      ssize_t n = c->ssl ? SSL_write(c->ssl, req + c->sent, (int)(len - c->sent))
                         : send(c->fd, req + c->sent, len - c->sent, MSG_NOSIGNAL);
      if (n <= 0) {
        if (!c->ssl && errno == EAGAIN) {
          watch(c, EPOLLOUT);
          return;
        }
        if (c->ssl && SSL_get_error(c->ssl, (int)n) == SSL_ERROR_WANT_WRITE) {
          watch(c, EPOLLOUT);
          return;
        }
        finish(c, 0);
        return;
      }
      c->sent += (size_t)n;
      if (c->sent < len) continue;
      c->stage = ST_RECV;
      continue;
    }
    if (c->stage == ST_RECV) {
      if (c->got == sizeof c->buf) {
        finish(c, 0);
        return;
      }
      ssize_t n = c->ssl ? SSL_read(c->ssl, c->buf + c->got, (int)(sizeof c->buf - c->got))
                         : recv(c->fd, c->buf + c->got, sizeof c->buf - c->got, 0);
      if (n <= 0) {
        if (!c->ssl && n < 0 && errno == EAGAIN) {
          watch(c, EPOLLIN);
          return;
        }
        if (c->ssl && SSL_get_error(c->ssl, (int)n) == SSL_ERROR_WANT_READ) {
          watch(c, EPOLLIN);
          return;
        }
        finish(c, 0);
        return;
      }
      c->got += (size_t)n;
      int status = 0;
      if (response_complete(c, &status)) {
        finish(c, status >= 200 && status < 400);
        return;
      }
      continue;
    }
    return;
  }
}

static uint16_t next_query_id(void) {
  g_random ^= g_random << 13;
  g_random ^= g_random >> 17;
  g_random ^= g_random << 5;
  return (uint16_t)g_random;
}

/* dns: a whole answer to our query, NOERROR, with at least one answer record. */
static int dns_answer_ok(const struct conn* c, size_t len) {
  const unsigned char* m = (const unsigned char*)c->buf;
  if (len < 12) return 0;
  const unsigned id = (unsigned)m[0] << 8 | m[1];
  const unsigned ancount = (unsigned)m[6] << 8 | m[7];
  return id == c->id && (m[2] & 0x80) && (m[3] & 0x0f) == 0 && ancount > 0;
}

/* icmp: an echo reply (type 0) to our sequence number; the ping socket hands over the ICMP
 * message without the IP header, and only replies to this socket's identifier. */
static int icmp_reply_ok(const struct conn* c, size_t len) {
  const unsigned char* m = (const unsigned char*)c->buf;
  if (len < 8) return 0;
  return m[0] == 0 && ((unsigned)m[6] << 8 | m[7]) == c->id;
}

/* dns / icmp: the socket is readable (or has an error queued). */
static void on_datagram(struct conn* c) {
  ssize_t n = recv(c->fd, c->buf, sizeof c->buf, 0);
  if (n < 0 && errno == EAGAIN) return;
  if (n < 0) { /* ECONNREFUSED (port unreachable), EHOSTUNREACH, ... */
    finish(c, 0);
    return;
  }
  finish(c, g_mode == MODE_DNS ? dns_answer_ok(c, (size_t)n) : icmp_reply_ok(c, (size_t)n));
}

static int send_datagram(struct conn* c) {
  const struct target* t = c->target;
  if (g_mode == MODE_DNS) {
    unsigned char query[sizeof t->query];
    memcpy(query, t->query, t->query_len);
    c->id = next_query_id();
    query[0] = (unsigned char)(c->id >> 8);
    query[1] = (unsigned char)c->id;
    if (connect(c->fd, (const struct sockaddr*)&t->addr, sizeof t->addr) != 0) return -1;
    return send(c->fd, query, t->query_len, 0) == (ssize_t)t->query_len ? 0 : -1;
  }
  static uint16_t sequence;
  unsigned char echo[8 + 56] = {8 /* echo request */, 0};
  c->id = ++sequence;
  echo[6] = (unsigned char)(c->id >> 8);
  echo[7] = (unsigned char)c->id;
  return sendto(c->fd, echo, sizeof echo, 0, (const struct sockaddr*)&t->addr, sizeof t->addr) ==
                 (ssize_t)sizeof echo
             ? 0
             : -1;
}

static void start_probe(const struct target* t, int measured, double now) {
  struct conn* c = calloc(1, sizeof *c);
  c->target = t;
  c->measured = measured;
  c->started = now;
  c->prev = g_tail;
  if (g_tail)
    g_tail->next = c;
  else
    g_head = c;
  g_tail = c;
  if (measured) g_started_in_window++;
  const int datagram = g_mode == MODE_DNS || g_mode == MODE_ICMP;
  c->fd = socket(AF_INET, (datagram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
                 g_mode == MODE_ICMP ? IPPROTO_ICMP : 0);
  if (c->fd < 0) {
    c->fd = -1;
    list_remove(c);
    if (measured) g_failed++;
    free(c);
    return;
  }
  if (datagram) {
    c->stage = ST_RECV;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(g_epoll, EPOLL_CTL_ADD, c->fd, &ev);
    if (send_datagram(c) != 0) finish(c, 0);
    return;
  }
  int rc = connect(c->fd, (const struct sockaddr*)&t->addr, sizeof t->addr);
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
  epoll_ctl(g_epoll, EPOLL_CTL_ADD, c->fd, &ev);
  if (rc == 0) {
    on_connected(c);
  } else if (errno != EINPROGRESS) {
    finish(c, 0);
  }
}

/* The DNS query for `name`, type A, class IN, recursion desired, ID 0 (set per probe). */
static int encode_query(const char* name, struct target* t) {
  unsigned char* q = t->query;
  static const unsigned char header[12] = {0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  memcpy(q, header, sizeof header);
  size_t at = sizeof header;
  while (*name) {
    const char* dot = strchr(name, '.');
    size_t len = dot ? (size_t)(dot - name) : strlen(name);
    if (len == 0 || len > 63 || at + 1 + len + 5 > sizeof t->query) return -1;
    q[at++] = (unsigned char)len;
    memcpy(q + at, name, len);
    at += len;
    name += len + (dot ? 1 : 0);
  }
  static const unsigned char tail[5] = {0, 0, 1 /* A */, 0, 1 /* IN */};
  memcpy(q + at, tail, sizeof tail);
  t->query_len = at + sizeof tail;
  return 0;
}

static int load_targets(const char* path, struct target** out) {
  FILE* f = fopen(path, "r");
  if (!f) {
    perror(path);
    return -1;
  }
  size_t cap = 1024, n = 0;
  struct target* ts = malloc(cap * sizeof *ts);
  char line[512], ip[64], name[256];
  int port;
  while (fgets(line, sizeof line, f)) {
    name[0] = 0;
    if (sscanf(line, "%63s %d %255s", ip, &port, name) < 2) continue;
    if (n == cap) {
      cap *= 2;
      ts = realloc(ts, cap * sizeof *ts);
    }
    memset(&ts[n], 0, sizeof ts[n]);
    ts[n].addr.sin_family = AF_INET;
    ts[n].addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, ip, &ts[n].addr.sin_addr) != 1) continue;
    if (g_mode == MODE_ICMP) ts[n].addr.sin_port = 0;
    if (g_mode == MODE_DNS && (!name[0] || encode_query(name, &ts[n]) != 0)) {
      fprintf(stderr, "%s: a dns target needs a valid name: %s", path, line);
      continue;
    }
    inet_ntop(AF_INET, &ts[n].addr.sin_addr, ts[n].host, sizeof ts[n].host);
    n++;
  }
  fclose(f);
  *out = ts;
  return (int)n;
}

int main(int argc, char** argv) {
  const char *mode = "tcp", *targets_path = NULL, *ca = NULL;
  double rate = 100, warmup = 2, duration = 10, timeout = 5.0;
  for (int i = 1; i < argc; i += 2) {
    if (!strcmp(argv[i], "--ctx-per-probe")) {
      g_ctx_per_probe = 1;
      i--; /* a flag: no value follows */
    } else if (i + 1 >= argc) {
      fprintf(stderr, "%s needs a value\n", argv[i]);
      return 2;
    } else if (!strcmp(argv[i], "--mode"))
      mode = argv[i + 1];
    else if (!strcmp(argv[i], "--targets"))
      targets_path = argv[i + 1];
    else if (!strcmp(argv[i], "--rate"))
      rate = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--warmup"))
      warmup = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--duration"))
      duration = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--timeout-ms"))
      timeout = atof(argv[i + 1]) / 1000.0;
    else if (!strcmp(argv[i], "--ca"))
      ca = argv[i + 1];
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (!strcmp(mode, "tcp"))
    g_mode = MODE_TCP;
  else if (!strcmp(mode, "http"))
    g_mode = MODE_HTTP;
  else if (!strcmp(mode, "tls"))
    g_mode = MODE_TLS;
  else if (!strcmp(mode, "https"))
    g_mode = MODE_HTTPS;
  else if (!strcmp(mode, "dns"))
    g_mode = MODE_DNS;
  else if (!strcmp(mode, "icmp"))
    g_mode = MODE_ICMP;
  else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  if (!targets_path || rate <= 0) {
    fprintf(stderr, "usage: %s --mode M --targets FILE --rate N [--warmup S] [--duration S]\n",
            argv[0]);
    return 2;
  }
  struct target* targets;
  int ntargets = load_targets(targets_path, &targets);
  if (ntargets <= 0) {
    fprintf(stderr, "no targets in %s\n", targets_path);
    return 1;
  }

  if (g_mode == MODE_TLS || g_mode == MODE_HTTPS) {
    g_ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(g_ctx, SSL_VERIFY_PEER, NULL);
    if (ca ? SSL_CTX_load_verify_locations(g_ctx, ca, NULL) != 1
           : SSL_CTX_set_default_verify_paths(g_ctx) != 1) {
      fprintf(stderr, "cannot load CA\n");
      return 1;
    }
    /* Every probe does a full handshake, as faultline's do. */
    SSL_CTX_set_session_cache_mode(g_ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(g_ctx, SSL_OP_NO_TICKET);
  }

  g_epoll = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event events[256];
  const double t0 = now_s();
  const double window_start = t0 + warmup, window_end = window_start + duration;
  double cpu_start = 0, cpu_end = 0;
  int in_window = 0;
  long issued = 0, next_target = 0;
  for (;;) {
    double now = now_s();
    if (!in_window && now >= window_start) {
      in_window = 1;
      cpu_start = cpu_s();
    }
    if (in_window == 1 && now >= window_end) {
      cpu_end = cpu_s();
      in_window = 2;
    }
    if (in_window == 2 && !g_head) break;
    if (now >= window_end + timeout + 1) break;
    /* Start every probe due by now: probe k is due at t0 + k / rate. */
    if (now < window_end) {
      while (t0 + (double)issued / rate <= now) {
        start_probe(&targets[next_target], in_window == 1, now);
        next_target = (next_target + 1) % ntargets;
        issued++;
      }
    }
    while (g_head && now - g_head->started > timeout) {
      if (g_head->measured) g_timeouts++;
      finish(g_head, 0);
    }
    double next_due = t0 + (double)issued / rate;
    /* Rounded up: sleeping to the next whole millisecond starts a few probes together, as a
     * millisecond timer would; rounding down would spin. */
    int wait_ms = next_due > now ? (int)((next_due - now) * 1000.0) + 1 : 0;
    if (wait_ms > 100) wait_ms = 100;
    int n = epoll_wait(g_epoll, events, 256, wait_ms);
    for (int i = 0; i < n; i++) {
      struct conn* c = events[i].data.ptr;
      if (g_mode == MODE_DNS || g_mode == MODE_ICMP)
        on_datagram(c);
      else if (c->stage == ST_CONNECT)
        on_connected(c);
      else
        advance(c);
    }
  }
  if (in_window == 1) cpu_end = cpu_s();
  long rss_kb = 0, hwm_kb = 0;
  self_memory_kb(&rss_kb, &hwm_kb);
  const double cpu = cpu_end - cpu_start;
  const long probes = g_ok + g_failed;
  printf(
      "mode=%s rate=%.1f window_s=%.1f probes=%ld ok=%ld failed=%ld timeouts=%ld cpu_s=%.4f "
      "cpu_ms_per_1000=%.2f probes_per_s=%.1f rss_kb=%ld hwm_kb=%ld\n",
      mode, rate, duration, probes, g_ok, g_failed, g_timeouts, cpu,
      probes ? cpu * 1e6 / (double)probes : 0.0, (double)probes / duration, rss_kb, hwm_kb);
  return 0;
}

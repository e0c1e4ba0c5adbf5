/* Load driver for prometheus-blackbox-exporter: asks its /probe endpoint for probes at a fixed
 * rate, round-robin over the targets, over kept-alive HTTP/1.1 connections (a new one is opened
 * whenever every open one is busy), and measures the exporter's CPU (utime+stime of --pid, from
 * /proc) over the measurement window, so the figure is the exporter's and not this driver's, and
 * the exporter's resident memory (VmRSS and VmHWM) when the window closes.
 *
 * Usage: probe_driver --exporter IP:PORT --module NAME --targets FILE --rate N --pid PID
 *                     [--warmup S] [--duration S]
 * FILE holds one target per line, exactly as it goes into target= (e.g. "127.1.0.1:80" or
 * "http://127.1.0.1/"); it must need no URL escaping beyond ':' and '/', which the exporter
 * accepts unescaped. Prints one line of key=value. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024

struct conn {
  int fd;
  int busy;
  int measured;
  double started;
  size_t got;
  char buf[16384];
};

static struct conn g_conns[MAX_CONNS];
static int g_nconns;
static int g_epoll;
static struct sockaddr_in g_exporter;
static long g_ok, g_failed, g_errors;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime+stime of a process, in seconds, from /proc/PID/stat (fields 14 and 15). */
static double proc_cpu_s(int pid) {
  char path[64], line[4096];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE* f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(line, 1, sizeof line - 1, f);
  fclose(f);
  line[n] = 0;
  const char* p = strrchr(line, ')');
  if (!p) return -1;
  unsigned long utime = 0, stime = 0;
  /* After ")": state(3) ppid(4) ... utime is field 14, stime 15. */
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
    return -1;
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* A "Key:   N kB" line of /proc/PID/status, in kB; 0 if absent. */
static long proc_status_kb(int pid, const char* key) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE* f = fopen(path, "r");
  if (!f) return 0;
  long kb = 0;
  const size_t len = strlen(key);
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, key, len) && line[len] == ':') {
      kb = atol(line + len + 1);
      break;
    }
  }
  fclose(f);
  return kb;
}

static int open_conn(void) {
  if (g_nconns == MAX_CONNS) return -1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr*)&g_exporter, sizeof g_exporter) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  struct conn* c = &g_conns[g_nconns];
  memset(c, 0, sizeof *c);
  c->fd = fd;
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)g_nconns};
  epoll_ctl(g_epoll, EPOLL_CTL_ADD, fd, &ev);
  return g_nconns++;
}

static void reopen(struct conn* c) {
  int idx = (int)(c - g_conns);
  close(c->fd);
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  c->busy = 0;
  c->got = 0;
  if (c->fd < 0 || connect(c->fd, (struct sockaddr*)&g_exporter, sizeof g_exporter) != 0) {
    fprintf(stderr, "probe_driver: cannot reconnect: %s\n", strerror(errno));
    exit(1);
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)idx};
  epoll_ctl(g_epoll, EPOLL_CTL_ADD, c->fd, &ev);
}

/* Returns 1 when the buffer holds a whole response (Content-Length or chunked). */
static int response_complete(const struct conn* c, const char** body, size_t* body_len) {
  const char* end = memmem(c->buf, c->got, "\r\n\r\n", 4);
  if (!end) return 0;
  const size_t head = (size_t)(end - c->buf) + 4;
  *body = c->buf + head;
  *body_len = c->got - head;
  const char* cl = memmem(c->buf, head, "Content-Length:", 15);
  if (cl) return c->got >= head + (size_t)strtoul(cl + 15, NULL, 10);
  return c->got >= head + 5 && memcmp(c->buf + c->got - 5, "0\r\n\r\n", 5) == 0;
}

int main(int argc, char** argv) {
  const char *exporter = "127.0.0.1:9115", *module = "tcp_connect", *targets_path = NULL;
  double rate = 100, warmup = 2, duration = 10;
  int pid = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--exporter"))
      exporter = argv[i + 1];
    else if (!strcmp(argv[i], "--module"))
      module = argv[i + 1];
    else if (!strcmp(argv[i], "--targets"))
      targets_path = argv[i + 1];
    else if (!strcmp(argv[i], "--rate"))
      rate = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--pid"))
      pid = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--warmup"))
      warmup = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--duration"))
      duration = atof(argv[i + 1]);
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (!targets_path || pid <= 0 || rate <= 0) {
    fprintf(stderr, "usage: %s --exporter IP:PORT --module M --targets FILE --rate N --pid PID\n",
            argv[0]);
    return 2;
  }
  char host[64];
  int port = 0;
  if (sscanf(exporter, "%63[^:]:%d", host, &port) != 2) return 2;
  g_exporter.sin_family = AF_INET;
  g_exporter.sin_port = htons((unsigned short)port);
  inet_pton(AF_INET, host, &g_exporter.sin_addr);

  FILE* f = fopen(targets_path, "r");
  if (!f) {
    perror(targets_path);
    return 1;
  }
  size_t cap = 1024, ntargets = 0;
  char** targets = malloc(cap * sizeof *targets);
  char line[512];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0]) continue;
    if (ntargets == cap) {
      cap *= 2;
      targets = realloc(targets, cap * sizeof *targets);
    }
    targets[ntargets++] = strdup(line);
  }
  fclose(f);
  if (ntargets == 0) {
    fprintf(stderr, "no targets\n");
    return 1;
  }

  g_epoll = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event events[256];
  const double t0 = now_s();
  const double window_start = t0 + warmup, window_end = window_start + duration;
  double cpu_start = 0, cpu_end = 0;
  long rss_kb = 0, hwm_kb = 0;
  int in_window = 0;
  long issued = 0, late = 0;
  size_t next_target = 0;
  int busy = 0;
  for (;;) {
    double now = now_s();
    if (!in_window && now >= window_start) {
      in_window = 1;
      cpu_start = proc_cpu_s(pid);
    }
    if (in_window == 1 && now >= window_end) {
      cpu_end = proc_cpu_s(pid);
      rss_kb = proc_status_kb(pid, "VmRSS");
      hwm_kb = proc_status_kb(pid, "VmHWM");
      in_window = 2;
    }
    if (in_window == 2 && busy == 0) break;
    if (now >= window_end + 10) break;
    while (now < window_end && t0 + (double)issued / rate <= now) {
      int idx = -1;
      for (int i = 0; i < g_nconns; i++) {
        if (!g_conns[i].busy) {
          idx = i;
          break;
        }
      }
      if (idx < 0) idx = open_conn();
      if (idx < 0) {
        late++;
        break;
      }
      struct conn* c = &g_conns[idx];
      char req[768];
      int len =
          snprintf(req, sizeof req, "GET /probe?module=%s&target=%s HTTP/1.1\r\nHost: %s\r\n\r\n",
                   module, targets[next_target], exporter);
      if (send(c->fd, req, (size_t)len, MSG_NOSIGNAL) != len) {
        g_errors++;
        reopen(c);
        continue;
      }
      c->busy = 1;
      c->got = 0;
      c->measured = in_window == 1;
      c->started = now;
      busy++;
      next_target = (next_target + 1) % ntargets;
      issued++;
    }
    double next_due = t0 + (double)issued / rate;
    /* Rounded up: sleeping to the next whole millisecond starts a few probes together, as a
     * millisecond timer would; rounding down would spin. */
    int wait_ms = next_due > now ? (int)((next_due - now) * 1000.0) + 1 : 0;
    if (wait_ms > 100) wait_ms = 100;
    int n = epoll_wait(g_epoll, events, 256, wait_ms);
    for (int i = 0; i < n; i++) {
      struct conn* c = &g_conns[events[i].data.u32];
      ssize_t r = recv(c->fd, c->buf + c->got, sizeof c->buf - 1 - c->got, 0);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        if (c->busy) {
          busy--;
          if (c->measured) g_failed++;
        }
        g_errors++;
        reopen(c);
        continue;
      }
      c->got += (size_t)r;
      c->buf[c->got] = 0;
      const char* body;
      size_t body_len;
      if (!c->busy || !response_complete(c, &body, &body_len)) continue;
      int ok = memmem(body, body_len, "\nprobe_success 1", 16) != NULL;
      if (c->measured) {
        if (ok)
          g_ok++;
        else
          g_failed++;
      }
      c->busy = 0;
      c->got = 0;
      busy--;
    }
  }
  if (in_window == 1) {
    cpu_end = proc_cpu_s(pid);
    rss_kb = proc_status_kb(pid, "VmRSS");
    hwm_kb = proc_status_kb(pid, "VmHWM");
  }
  const double cpu = cpu_end - cpu_start;
  const long probes = g_ok + g_failed;
  printf(
      "module=%s rate=%.1f window_s=%.1f probes=%ld ok=%ld failed=%ld errors=%ld late=%ld "
      "connections=%d cpu_s=%.4f cpu_ms_per_1000=%.2f probes_per_s=%.1f rss_kb=%ld hwm_kb=%ld\n",
      module, rate, duration, probes, g_ok, g_failed, g_errors, late, g_nconns, cpu,
      probes ? cpu * 1e6 / (double)probes : 0.0, (double)probes / duration, rss_kb, hwm_kb);
  return 0;
}

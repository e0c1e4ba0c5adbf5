// What one probe costs the probe engine alone (no scheduler, storage or metrics), so a change to
// checks/ can be measured without the whole daemon: CPU microseconds per probe from getrusage,
// and, run under `valgrind --tool=callgrind`, instructions per probe that do not depend on load.
//
// Usage: probe_engine_bench [tcp|http|refused] [PROBES] [CONCURRENCY] [ADDRESSES]
//
// The server is a forked child (accept, for http read the request and answer, close), so its
// CPU is not counted; `refused` probes a port nothing listens on, round-robin over ADDRESSES
// distinct loopback addresses (127.1.0.1, 127.1.0.2, ...; default 1), the way a fleet has one
// address per target.
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "checks/probe_engine.hpp"
#include "checks/target_url.hpp"

using namespace faultline;

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Listens on 127.0.0.1 (an ephemeral port) in a child process; returns the port.
int start_server(bool http, pid_t* child) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4096) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("server");
    std::exit(1);
  }
  *child = fork();
  if (*child == 0) {
    static const char kReply[] =
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
    for (;;) {
      int c = accept(fd, nullptr, nullptr);
      if (c < 0) continue;
      if (http) {
        char buf[4096];
        std::size_t got = 0;
        while (got < sizeof buf) {
          ssize_t n = read(c, buf + got, sizeof buf - got);
          if (n <= 0) break;
          got += static_cast<std::size_t>(n);
          if (memmem(buf, got, "\r\n\r\n", 4) != nullptr) break;
        }
        ssize_t ignored = write(c, kReply, sizeof kReply - 1);
        (void)ignored;
      }
      close(c);
    }
  }
  close(fd);
  return ntohs(addr.sin_port);
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // nothing listens there now: connections are refused
  return ntohs(addr.sin_port);
}

struct Run {
  ProbeEngine* engine;
  std::vector<std::shared_ptr<const ProbeSpec>> specs;
  int left;
  int done = 0;
  int ok = 0;
  std::size_t next = 0;

  void start_one() {
    --left;
    const auto& spec = specs[next++ % specs.size()];
    engine->start(spec, [this](ProbeResult r) {
      ++done;
      ok += r.ok() ? 1 : 0;
      if (left > 0) start_one();
    });
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "tcp";
  const int probes = argc > 2 ? std::atoi(argv[2]) : 5000;
  const int concurrency = argc > 3 ? std::atoi(argv[3]) : 1;
  const int addresses = argc > 4 ? std::atoi(argv[4]) : 1;
  if ((mode != "tcp" && mode != "http" && mode != "refused") || probes <= 0 || concurrency <= 0 ||
      addresses <= 0 || (addresses > 1 && mode != "refused") || addresses > 60000) {
    std::fprintf(stderr, "usage: %s [tcp|http|refused] [PROBES] [CONCURRENCY] [ADDRESSES]\n",
                 argv[0]);
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  pid_t child = -1;
  const int port = mode == "refused" ? free_port() : start_server(mode == "http", &child);
  std::vector<std::shared_ptr<const ProbeSpec>> specs;
  for (int i = 0; i < addresses; ++i) {
    const std::string host =
        addresses == 1 ? "127.0.0.1"
                       : "127.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    const std::string url = (mode == "http" ? "http://" : "tcp://") + host + ":" +
                            std::to_string(port) + (mode == "http" ? "/" : "");
    auto parsed = parse_target_url(url);
    if (!parsed) {
      std::fprintf(stderr, "%s\n", parsed.error().c_str());
      return 1;
    }
    ProbeSpec spec;
    spec.url = *parsed;
    spec.timeout = std::chrono::milliseconds(5000);
    specs.push_back(std::make_shared<const ProbeSpec>(spec));
  }

  uv_loop_t loop;
  uv_loop_init(&loop);
  int done = 0, ok = 0;
  double cpu = 0;
  {
    ProbeEngine engine(&loop);
    Run run{&engine, specs, probes};
    const double before = cpu_seconds();
    for (int i = 0; i < concurrency && run.left > 0; ++i)
      run.start_one();
    uv_run(&loop, UV_RUN_DEFAULT);
    cpu = cpu_seconds() - before;
    done = run.done;
    ok = run.ok;
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (child > 0) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  }
  std::printf("%s: %d probes, %d ok, %.1f us CPU per probe\n", mode.c_str(), done, ok,
              cpu * 1e6 / done);
  return 0;
}

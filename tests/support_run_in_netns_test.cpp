#include <doctest/doctest.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "tests/support/fake_dns_server.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/tcp_client.hpp"

using namespace std::chrono_literals;
using faultline::testing::FakeDnsServer;
using faultline::testing::kFakeDnsResolvConf;
using faultline::testing::NetnsOptions;
using faultline::testing::NetnsResult;
using faultline::testing::NetnsStatus;
using faultline::testing::run_in_netns;

namespace {

// True when the run could not happen here; the caller returns after this.
bool skipped(const NetnsResult& r) {
  if (r.status != NetnsStatus::skipped) return false;
  faultline::testing::skip_test(r.reason);
  return true;
}

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Inside the child: prints "LABEL rc=N ms=M addr=A" for one getaddrinfo(name) (LABEL defaults
// to the name).
void print_lookup(const char* name, int family = AF_UNSPEC, int flags = 0,
                  const char* label = nullptr) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_flags = flags;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  auto start = std::chrono::steady_clock::now();
  int rc = ::getaddrinfo(name, "80", &hints, &result);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  char host[NI_MAXHOST] = "-";
  if (rc == 0) {
    ::getnameinfo(result->ai_addr, result->ai_addrlen, host, sizeof host, nullptr, 0,
                  NI_NUMERICHOST);
    ::freeaddrinfo(result);
  }
  std::printf("%s rc=%d ms=%lld addr=%s\n", label ? label : name, rc, static_cast<long long>(ms),
              host);
}

struct Lookup {
  int rc = 1;  // getaddrinfo never returns 1: "not seen"
  long long ms = -1;
  std::string addr;
};

// Parses the lines print_lookup wrote.
std::map<std::string, Lookup> parse_lookups(const std::string& output) {
  std::map<std::string, Lookup> out;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string name, rc, ms, addr;
    if (!(words >> name >> rc >> ms >> addr) || !rc.starts_with("rc=") || !ms.starts_with("ms=") ||
        !addr.starts_with("addr="))
      continue;
    out[name] = {std::stoi(rc.substr(3)), std::stoll(ms.substr(3)), addr.substr(5)};
  }
  return out;
}

}  // namespace

TEST_CASE("run_in_netns: the child sees only its own lo, and its output and code come back") {
  NetnsResult r = run_in_netns([] {
    struct if_nameindex* names = ::if_nameindex();
    int count = 0;
    for (struct if_nameindex* i = names; i && i->if_name; ++i, ++count)
      std::printf("interface %s\n", i->if_name);
    ::if_freenameindex(names);
    std::printf("hello from the namespace\n");
    return count == 1 ? 7 : 1;
  });
  if (skipped(r)) return;
  CHECK_MESSAGE(r.status == NetnsStatus::exited, r.describe());
  CHECK_MESSAGE(r.exit_code == 7, r.describe());
  CHECK(r.output.find("interface lo\n") != std::string::npos);
  CHECK(r.output.find("hello from the namespace\n") != std::string::npos);
}

TEST_CASE("run_in_netns: lo is up, so loopback fixtures work inside") {
  NetnsResult r = run_in_netns([] {
    faultline::testing::LoopbackServer server(faultline::testing::Behavior::close_without_reply);
    auto c = faultline::testing::connect_tcp("127.0.0.1", server.port(), 1s);
    std::printf("connect error=%d timed_out=%d\n", c.error, c.timed_out);
    return c.fd ? 0 : 1;
  });
  if (skipped(r)) return;
  CHECK_MESSAGE(r.ok(), r.describe());
}

TEST_CASE("run_in_netns: setup commands change the namespace, not the host") {
  std::string host_value = read_file("/proc/sys/net/ipv4/tcp_syncookies");
  NetnsResult r = run_in_netns(
      [] {
        std::string inside = read_file("/proc/sys/net/ipv4/tcp_syncookies");
        std::printf("inside: %s", inside.c_str());
        return inside == "2\n" ? 0 : 1;
      },
      {.setup_commands = {"sysctl -qw net.ipv4.tcp_syncookies=2", "echo setup ran"}});
  if (skipped(r)) return;
  CHECK_MESSAGE(r.ok(), r.describe());
  CHECK(r.output.find("setup ran\n") != std::string::npos);
  CHECK(read_file("/proc/sys/net/ipv4/tcp_syncookies") == host_value);
}

TEST_CASE("run_in_netns: a failing setup command is reported, the function does not run") {
  NetnsResult r = run_in_netns(
      [] {
        std::printf("function ran\n");
        return 0;
      },
      {.setup_commands = {"echo about to fail; exit 3"}});
  if (skipped(r)) return;
  CHECK(r.status == NetnsStatus::setup_failed);
  CHECK(r.reason == "setup command exited 3: echo about to fail; exit 3");
  CHECK(r.output == "about to fail\n");
}

TEST_CASE("run_in_netns: a function that hangs is killed at the timeout") {
  auto start = std::chrono::steady_clock::now();
  NetnsResult r = run_in_netns(
      [] {
        ::sleep(30);
        return 0;
      },
      {.timeout = 300ms});
  if (skipped(r)) return;
  CHECK(r.status == NetnsStatus::timed_out);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("run_in_netns: a crash is reported as a signal, an exception as 125") {
  NetnsResult crash = run_in_netns([] {
    std::printf("about to abort\n");
    std::fflush(stdout);
    std::abort();
    return 0;
  });
  if (skipped(crash)) return;
  CHECK(crash.status == NetnsStatus::signaled);
  CHECK(crash.signal == SIGABRT);
  CHECK(crash.output.find("about to abort") != std::string::npos);

  NetnsResult thrown = run_in_netns([]() -> int { throw std::runtime_error("boom"); });
  CHECK(thrown.status == NetnsStatus::exited);
  CHECK(thrown.exit_code == 125);
  CHECK(thrown.output.find("boom") != std::string::npos);
}

// The engine's DNS classifier is built on these observations of glibc's getaddrinfo
// (AF_UNSPEC, no flags), so this test pins them: if glibc changes, the classifier must too.
TEST_CASE("run_in_netns: getaddrinfo through FakeDnsServer on 127.0.0.1:53") {
  NetnsOptions options;
  options.resolv_conf = std::string(kFakeDnsResolvConf);
  options.nsswitch_conf = "hosts: files dns\n";
  NetnsResult r = run_in_netns(
      [] {
        FakeDnsServer dns("127.0.0.1", 53);
        dns.a("a.test", "127.0.0.1")
            .nxdomain("nx.test")
            .nodata("nodata.test")
            .servfail("servfail.test")
            .drop("drop.test");
        for (const char* name :
             {"a.test", "nx.test", "nodata.test", "servfail.test", "drop.test", "unknown.test"})
          print_lookup(name);
        std::printf("queries %d\n", dns.queries());
        return 0;
      },
      options);
  if (skipped(r)) return;
  REQUIRE_MESSAGE(r.ok(), r.describe());
  INFO(r.output);
  auto seen = parse_lookups(r.output);
  CHECK(seen["a.test"].rc == 0);
  CHECK(seen["a.test"].addr == "127.0.0.1");
  CHECK(seen["nx.test"].rc == EAI_NONAME);
  CHECK(seen["unknown.test"].rc == EAI_NONAME);
  CHECK(seen["nodata.test"].rc == EAI_NODATA);
  CHECK(seen["servfail.test"].rc == EAI_AGAIN);
  CHECK(seen["drop.test"].rc == EAI_AGAIN);
  // timeout:1 attempts:1: one second, give or take scheduling.
  CHECK(seen["drop.test"].ms >= 900);
  CHECK(seen["drop.test"].ms < 5000);
}

// A trap for the engine, pinned here: glibc's AI_ADDRCONFIG ignores loopback addresses, so in a
// namespace with only lo it refuses a single-family lookup outright, without asking DNS.
// AF_UNSPEC with AI_ADDRCONFIG is unaffected.
TEST_CASE("run_in_netns: AI_ADDRCONFIG with one family fails before any DNS query when only lo") {
  NetnsOptions options;
  options.resolv_conf = std::string(kFakeDnsResolvConf);
  options.nsswitch_conf = "hosts: files dns\n";
  NetnsResult r = run_in_netns(
      [] {
        FakeDnsServer dns("127.0.0.1", 53);
        dns.a("a.test", "127.0.0.1").aaaa("six.test", "::1");
        print_lookup("a.test", AF_INET, AI_ADDRCONFIG, "inet-addrconfig");
        print_lookup("six.test", AF_INET6, AI_ADDRCONFIG, "inet6-addrconfig");
        int queries_so_far = dns.queries();
        std::printf("DNS queries sent for the two AI_ADDRCONFIG lookups: %d\n", queries_so_far);
        print_lookup("a.test", AF_UNSPEC, AI_ADDRCONFIG, "unspec-addrconfig");
        print_lookup("a.test", AF_INET6, 0, "inet6-of-a-v4-only-name");
        return queries_so_far == 0 ? 0 : 1;
      },
      options);
  if (skipped(r)) return;
  REQUIRE_MESSAGE(r.ok(), r.describe());
  INFO(r.output);
  auto seen = parse_lookups(r.output);
  CHECK(seen["inet-addrconfig"].rc == EAI_NONAME);
  CHECK(seen["inet6-addrconfig"].rc == EAI_NONAME);
  CHECK(seen["unspec-addrconfig"].rc == 0);
  CHECK(seen["unspec-addrconfig"].addr == "127.0.0.1");
  CHECK(seen["inet6-of-a-v4-only-name"].rc == EAI_NODATA);
}

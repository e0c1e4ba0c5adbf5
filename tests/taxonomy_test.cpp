#include "checks/taxonomy.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <set>
#include <string>

#include "checks/probe_result.hpp"

using namespace faultline;

TEST_CASE("taxonomy: the contract words") {
  std::set<std::string> words;
  for (FailureClass c : kAllClasses)
    words.insert(std::string(to_string(c)));
  CHECK(words == std::set<std::string>{"ok", "dns", "refused", "unreachable", "timeout", "reset",
                                       "closed", "tls", "http", "local", "protocol"});
  std::set<std::string> phases;
  for (Phase p : kAllPhases)
    phases.insert(std::string(to_string(p)));
  CHECK(phases ==
        std::set<std::string>{"", "dns", "connect", "tls", "request", "response", "body", "proxy"});
  for (FailureClass c : kAllClasses)
    CHECK(failure_class_from_string(to_string(c)) == c);
  for (Phase p : kAllPhases)
    CHECK(phase_from_string(to_string(p)) == p);
  CHECK_FALSE(failure_class_from_string("connection_refused").has_value());
}

TEST_CASE("taxonomy: every detail has one word, and the word leads back to it") {
  std::set<std::string> details;
  for (Detail d : kAllDetails)
    details.insert(std::string(to_string(d)));
  CHECK(details == std::set<std::string>{"",
                                         "nxdomain",
                                         "no_address",
                                         "temporary",
                                         "refused",
                                         "answer_mismatch",
                                         "timeout",
                                         "expired",
                                         "not_yet_valid",
                                         "hostname_mismatch",
                                         "untrusted",
                                         "handshake",
                                         "reset",
                                         "closed",
                                         "http_status",
                                         "malformed",
                                         "unexpected_reply",
                                         "no_starttls",
                                         "not_serving",
                                         "grpc_status",
                                         "expect_mismatch"});
  CHECK(details.size() == kAllDetails.size());
  for (Detail d : kAllDetails)
    CHECK(detail_from_string(to_string(d)) == d);
  CHECK_FALSE(detail_from_string("mismatch").has_value());
}

TEST_CASE("taxonomy: http detail is the status code, errno names are symbolic") {
  ProbeResult r;
  r.cls = FailureClass::http;
  r.detail = Detail::http_status;
  r.http_status = 503;
  CHECK(detail_text(r) == "503");
  r.detail = Detail::malformed;
  CHECK(detail_text(r) == "malformed");
  r.detail = Detail::body_mismatch;
  CHECK(detail_text(r) == "body_mismatch");
  r.cls = FailureClass::tls;
  r.detail = Detail::client_certificate;
  CHECK(detail_text(r) == "client_certificate");
  CHECK(errno_name(ECONNRESET) == "ECONNRESET");
  CHECK(errno_name(ECONNREFUSED) == "ECONNREFUSED");
  CHECK(errno_name(0).empty());
}

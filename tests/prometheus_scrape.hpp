// A real Prometheus (Debian's `prometheus` package) scraping loopback endpoints, for tests that
// must know how Prometheus itself parses an exposition: which series and values it stores and
// which metadata (type, help) it takes from the # HELP and # TYPE lines.
#pragma once

#include <map>
#include <string>

namespace faultline::testing {

// What Prometheus stored from one endpoint's scrape.
struct StoredScrape {
  // Series -> value. A series is written name{label="value",...} with its labels sorted and
  // Prometheus's job and instance left out; values as Prometheus prints them (exact shortest
  // decimal, "NaN", "+Inf").
  std::map<std::string, std::string> samples;
  // Metric family name -> "TYPE HELP" (type as Prometheus names it: counter, gauge, summary,
  // histogram, unknown).
  std::map<std::string, std::string> metadata;
};

// True when Prometheus (/usr/bin/prometheus, Debian's `prometheus` package) is installed; a
// test that needs it skips without it (tests/support/skip_test.hpp).
bool prometheus_available();

// Starts Prometheus with one scrape job per entry of `endpoints` (job name -> "127.0.0.1:PORT",
// path /metrics), waits until every job was scraped successfully (up == 1; at most 60 s) and
// returns what each stored. Fails the calling test when Prometheus is missing (ask
// prometheus_available() first) or a scrape failed, with Prometheus's reason (its parser's
// error for a bad exposition).
std::map<std::string, StoredScrape> scrape_with_prometheus(
    const std::map<std::string, std::string>& endpoints);

}  // namespace faultline::testing

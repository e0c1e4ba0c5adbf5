#include "tests/prometheus_scrape.hpp"

#include <curl/curl.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/temp_dir.hpp"

namespace faultline::testing {
namespace {

constexpr const char* kPrometheus = "/usr/bin/prometheus";

size_t append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// GET against Prometheus's HTTP API; the "data" member of its answer, or null.
nlohmann::json api(int port, const std::string& path_and_query) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  REQUIRE(curl);
  std::string body;
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path_and_query;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10'000L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  if (curl_easy_perform(curl.get()) != CURLE_OK) return nullptr;
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded() || parsed.value("status", "") != "success") return nullptr;
  return parsed["data"];
}

std::string escape_query(CURL* curl, const std::string& text) {
  char* e = curl_easy_escape(curl, text.c_str(), static_cast<int>(text.size()));
  std::string out(e);
  curl_free(e);
  return out;
}

std::string query_string(const std::string& text) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  return escape_query(curl.get(), text);
}

// The jobs whose last scrape failed, with Prometheus's reason, or whose first is still to come.
std::map<std::string, std::string> not_scraped(int port,
                                               const std::map<std::string, std::string>& jobs) {
  std::map<std::string, std::string> pending;
  for (const auto& [job, address] : jobs)
    pending[job] = "not scraped yet";
  const nlohmann::json targets = api(port, "/api/v1/targets?state=active");
  if (targets.is_null()) return pending;
  for (const auto& t : targets["activeTargets"]) {
    const std::string job = t["labels"].value("job", "");
    if (!pending.count(job)) continue;
    const std::string health = t.value("health", "");
    if (health == "up") {
      pending.erase(job);
    } else if (health == "down") {
      pending[job] = "scrape failed: " + t.value("lastError", "");
    }
  }
  return pending;
}

StoredScrape stored(int port, const std::string& job) {
  StoredScrape out;
  const std::string selector = "{job=\"" + job + "\",__name__!~\"up|scrape_.+\"}";
  const nlohmann::json series = api(port, "/api/v1/query?query=" + query_string(selector));
  REQUIRE_MESSAGE(!series.is_null(), "Prometheus did not answer a query for " << job);
  for (const auto& s : series["result"]) {
    std::map<std::string, std::string> labels =
        s["metric"].get<std::map<std::string, std::string>>();
    std::string key = labels["__name__"] + "{";
    labels.erase("__name__");
    labels.erase("job");
    labels.erase("instance");
    const char* sep = "";
    for (const auto& [name, value] : labels) {
      key += sep + name + "=" + nlohmann::json(value).dump();
      sep = ",";
    }
    key += "}";
    out.samples[key] = s["value"][1].get<std::string>();
  }
  const nlohmann::json metadata =
      api(port, "/api/v1/targets/metadata?match_target=" + query_string("{job=\"" + job + "\"}"));
  REQUIRE_MESSAGE(!metadata.is_null(), "Prometheus did not answer for the metadata of " << job);
  for (const auto& m : metadata) {
    out.metadata[m.value("metric", "")] = m.value("type", "") + " " + m.value("help", "");
  }
  return out;
}

}  // namespace

bool prometheus_available() {
  return access(kPrometheus, X_OK) == 0;
}

std::map<std::string, StoredScrape> scrape_with_prometheus(
    const std::map<std::string, std::string>& endpoints) {
  REQUIRE_MESSAGE(prometheus_available(),
                  kPrometheus << " is missing: apt-get install prometheus (tests/ci.sh does)");
  TempDir dir("faultline-prometheus");
  std::string config = "global: {scrape_interval: 1s, scrape_timeout: 900ms}\nscrape_configs:\n";
  for (const auto& [job, address] : endpoints) {
    config.append("  - job_name: ").append(job);
    config.append("\n    static_configs: [{targets: ['").append(address).append("']}]\n");
  }
  const std::string config_path = dir.write("prometheus.yml", config);
  const int port = closed_port();
  ChildProcess prometheus(
      {kPrometheus, "--config.file=" + config_path, "--storage.tsdb.path=" + dir.file("data"),
       "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"},
      {}, dir.file("prometheus.log"));
  std::map<std::string, std::string> pending;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (true) {
    pending = not_scraped(port, endpoints);
    bool failed = false;
    for (const auto& [job, why] : pending)
      failed = failed || why.starts_with("scrape failed");
    if (pending.empty() || failed || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const auto& [job, why] : pending)
    FAIL_CHECK(job << ": " << why);
  REQUIRE_MESSAGE(pending.empty(), prometheus.output());
  std::map<std::string, StoredScrape> out;
  for (const auto& [job, address] : endpoints)
    out[job] = stored(port, job);
  return out;
}

}  // namespace faultline::testing

// The set of HTTP status codes a target accepts (`expect_status: [200-399, 418]`).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks/expected.hpp"

namespace faultline {

class StatusSet {
 public:
  // The default: any 2xx or 3xx (redirects are not followed, so a 301 is an answer).
  StatusSet() : ranges_{{200, 399}} {}
  explicit StatusSet(std::vector<std::pair<int, int>> ranges) : ranges_(std::move(ranges)) {}

  bool contains(int status) const;
  // "200-399,418": the form `--expect-status` accepts and messages print.
  std::string to_string() const;
  const std::vector<std::pair<int, int>>& ranges() const { return ranges_; }

  bool operator==(const StatusSet&) const = default;

 private:
  std::vector<std::pair<int, int>> ranges_;
};

// Parses one item: "204" or "200-299". Codes must lie in 100..599 and ranges be ascending.
Expected<std::pair<int, int>> parse_status_item(std::string_view text);

// Parses a comma-separated list of items ("200,204,300-399"), as given on the command line.
Expected<StatusSet> parse_status_list(std::string_view text);

}  // namespace faultline

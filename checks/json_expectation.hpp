// expect_json: the response body parses as JSON and each dotted path holds a given scalar
// (`status: UP`, `checks.db.status: UP`, `items.0.state: ok`).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/expected.hpp"

namespace faultline {

// Paths have at most this many segments. The body's JSON is only built this deep and a little
// more (kMaxJsonDepth): deeper arrays and objects are skipped while parsing, so a body of a
// million '[' costs a scan, not a million nested values.
inline constexpr std::size_t kMaxJsonPathSegments = 32;
inline constexpr std::size_t kMaxJsonDepth = 64;

struct JsonExpectation {
  std::string path;                   // as written: "checks.db.status"
  std::vector<std::string> segments;  // {"checks", "db", "status"}
  std::string value;                  // the expected scalar as JSON text: "\"UP\"", "200", "null"

  bool operator==(const JsonExpectation&) const = default;
};

// Splits "checks.db.status" at the dots. A segment names an object's key, or an array's
// element when it is a number (items.0.state). Error: an empty path or segment ("a..b"), or
// more than kMaxJsonPathSegments segments. Keys holding a dot cannot be named.
Expected<std::vector<std::string>> parse_json_path(std::string_view path);

// The JSON text of a scalar written in the config or on the command line. `quoted` (a YAML
// scalar in quotes) is always a string. Otherwise JSON's own words and numbers are what they
// say (200, -1.5, true, null, "quoted text"), as are YAML's spellings of them (True, FALSE,
// Null, ~, nothing at all); anything else is a string ("UP" for UP).
std::string json_scalar_text(std::string_view text, bool quoted);

// Builds one expectation; error as parse_json_path.
Expected<JsonExpectation> make_json_expectation(std::string_view path, std::string_view value,
                                                bool quoted);

// How a message shows text that came from the response body: in quotes, escaped and cut
// (quote(), printable.hpp), with secrets blanked out by the caller first.
using ShowBodyText = std::function<std::string(std::string_view)>;

// Parses `body` and checks every expectation in order, stopping at the first that fails.
// Returns nullopt when all hold, else what went wrong in words: "'checks.db.status' is "DOWN",
// expected "UP"", "the body is not JSON: parse error at byte 1 ...", each value from the body
// shown through `show`. `cut`: the body was cut at `limit` bytes (body_limit), so it cannot be
// whole JSON. Numbers compare as numbers (200 equals 200.0), everything else by type and value.
// Never throws.
std::optional<std::string> check_json_body(std::string_view body, bool cut, std::size_t limit,
                                           const std::vector<JsonExpectation>& expectations,
                                           const ShowBodyText& show);

}  // namespace faultline

#include "checks/json_expectation.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "checks/byte_size.hpp"
#include "checks/printable.hpp"

namespace faultline {
namespace {

using json = nlohmann::json;

// Invalid UTF-8 in a value becomes U+FFFD instead of an exception.
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool is_index(const std::string& s) {
  return !s.empty() && s.size() <= 9 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string kind_of(const json& j) {
  switch (j.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::null:
      return "null";
    default:
      return "a number";
  }
}

// Containers deeper than kMaxJsonDepth are skipped: no path reaches them.
bool keep_shallow(int depth, json::parse_event_t event, json&) {
  const bool opens =
      event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
  return !(opens && static_cast<std::size_t>(depth) >= kMaxJsonDepth);
}

// Why `e` does not hold in `doc`, or nullopt when it does.
std::optional<std::string> check_one(const json& doc, const JsonExpectation& e,
                                     const ShowBodyText& show) {
  const json* node = &doc;
  std::string walked;
  const std::string subject = quote(e.path);
  for (const std::string& seg : e.segments) {
    // Appended piece by piece: the message is built inside the loop (clang-tidy's
    // performance-inefficient-string-concatenation).
    std::string missing = subject;
    missing += " is missing: ";
    missing += walked.empty() ? "the body" : quote(walked);
    if (node->is_object()) {
      auto it = node->find(seg);
      if (it == node->end()) {
        missing += " has no key ";
        missing += quote(seg);
        return missing;
      }
      node = &*it;
    } else if (node->is_array() && is_index(seg)) {
      const std::size_t index = std::stoul(seg);
      if (index >= node->size()) {
        missing += " has ";
        missing += std::to_string(node->size());
        missing += " elements, so no element ";
        missing += seg;
        return missing;
      }
      node = &(*node)[index];
    } else {
      missing += " is ";
      missing += kind_of(*node);
      missing += is_index(seg) ? ", not an array or an object (it is " : ", not an object (it is ";
      missing += show(dump(*node));
      missing += ")";
      return missing;
    }
    if (!walked.empty()) walked += '.';
    walked += seg;
  }
  const json expected = json::parse(e.value, nullptr, false);
  if (*node == expected) return std::nullopt;
  return subject + " is " + show(dump(*node)) + ", expected " + printable(e.value);
}

}  // namespace

Expected<std::vector<std::string>> parse_json_path(std::string_view path) {
  if (path.empty()) return unexpected("a JSON path must not be empty");
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    const std::string_view seg = path.substr(start, dot - start);
    if (seg.empty()) {
      return unexpected("JSON path " + quote(path) +
                        " has an empty segment; write keys and array indexes between single "
                        "dots, e.g. checks.db.status or items.0.state");
    }
    segments.emplace_back(seg);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (segments.size() > kMaxJsonPathSegments) {
    return unexpected("JSON path " + quote(path) + " has " + std::to_string(segments.size()) +
                      " segments; at most " + std::to_string(kMaxJsonPathSegments) +
                      " are allowed");
  }
  return segments;
}

std::string json_scalar_text(std::string_view text, bool quoted) {
  if (!quoted) {
    if (text.empty() || text == "~" || text == "Null" || text == "NULL") return "null";
    if (text == "True" || text == "TRUE") return "true";
    if (text == "False" || text == "FALSE") return "false";
    const json parsed = json::parse(text, nullptr, false);
    if (!parsed.is_discarded() && parsed.is_primitive()) return dump(parsed);
  }
  return dump(json(std::string(text)));
}

Expected<JsonExpectation> make_json_expectation(std::string_view path, std::string_view value,
                                                bool quoted) {
  auto segments = parse_json_path(path);
  if (!segments) return unexpected(segments.error());
  return JsonExpectation{std::string(path), std::move(*segments), json_scalar_text(value, quoted)};
}

std::optional<std::string> check_json_body(std::string_view body, bool cut, std::size_t limit,
                                           const std::vector<JsonExpectation>& expectations,
                                           const ShowBodyText& show) {
  if (expectations.empty()) return std::nullopt;
  if (cut) {
    return "the body is longer than body_limit (" + byte_size_text(limit) +
           ") and was cut there, so it cannot be parsed as JSON; raise body_limit";
  }
  json doc;
  try {
    doc = json::parse(body.begin(), body.end(), keep_shallow, true);
  } catch (const json::parse_error& e) {
    if (body.empty()) return std::string("the body is empty, not JSON");
    return "the body is not JSON: parse error at byte " + std::to_string(e.byte) + " of " +
           std::to_string(body.size()) + "; it begins '" + show(body) + "'";
  } catch (const std::exception& e) {
    return "the body could not be parsed as JSON: " + std::string(e.what());
  }
  for (const JsonExpectation& e : expectations) {
    if (auto problem = check_one(doc, e, show)) return problem;
  }
  return std::nullopt;
}

}  // namespace faultline

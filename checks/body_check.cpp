#include "checks/body_check.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <vector>

#include "checks/byte_size.hpp"
#include "checks/json_expectation.hpp"
#include "checks/printable.hpp"

namespace faultline {
namespace {

// Shorter header values are too common to be secrets ("*/*", "1"), and blanking them out would
// garble every excerpt.
constexpr std::size_t kMinSecretChars = 4;

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

// What the spec sends that may be a secret, in every form a server echoing the request (as
// httpbin's /headers does) would show it.
std::vector<std::string> secrets_of(const ProbeSpec& spec) {
  std::vector<std::string> out;
  auto add = [&out](std::string s) {
    if (s.size() >= kMinSecretChars) out.push_back(std::move(s));
  };
  for (const Header& h : spec.headers) {
    add(h.value);
    // "Bearer TOKEN", "Basic CREDENTIALS": the credential alone too.
    const auto space = h.value.find(' ');
    if (space != std::string::npos) add(h.value.substr(space + 1));
  }
  if (spec.auth) {
    add(spec.auth->secret);
    if (spec.auth->kind == HttpAuth::Kind::basic) {
      add(base64(spec.auth->username + ":" + spec.auth->secret));
    }
  }
  // Longest first, so that a secret holding another is blanked out whole.
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

std::string redact(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const std::string& secret : secrets) {
    for (std::size_t at = out.find(secret); at != std::string::npos;
         at = out.find(secret, at + 10)) {
      out.replace(at, secret.size(), "[redacted]");
    }
  }
  return out;
}

Verdict mismatch(int http_status, std::string message) {
  Verdict v;
  v.cls = FailureClass::http;
  v.phase = Phase::body;
  v.detail = Detail::body_mismatch;
  v.http_status = http_status;
  v.message = std::move(message);
  return v;
}

std::string gave_up(const char* key, const Pattern& p, const std::string& address,
                    const std::string& why) {
  return std::string(key) + " " + quote(p.text()) + " could not be checked against the body from " +
         address + ": " + why +
         "; simplify the pattern (nested repeats such as (a+)+ can backtrack without end)";
}

}  // namespace

std::optional<Verdict> check_body(const ProbeSpec& spec, std::string_view body, bool cut,
                                  int http_status, const std::string& address) {
  const std::vector<std::string> secrets = secrets_of(spec);
  // At most 80 characters are shown; the bytes past a few hundred never are.
  auto show = [&secrets](std::string_view text) { return printable(redact(text, secrets)); };
  const std::string checked =
      cut ? " (only its first " + byte_size_text(spec.body_limit) + " were read: body_limit)" : "";

  if (spec.expect_body) {
    auto found = spec.expect_body->search(body);
    if (!found)
      return mismatch(http_status,
                      gave_up("expect_body", *spec.expect_body, address, found.error()));
    if (!*found) {
      return mismatch(http_status,
                      "the body from " + address + " does not match expect_body " +
                          quote(spec.expect_body->text()) +
                          (body.empty() ? "; it is empty" : "; it begins '" + show(body) + "'") +
                          checked);
    }
  }
  if (spec.reject_body) {
    auto found = spec.reject_body->search(body);
    if (!found)
      return mismatch(http_status,
                      gave_up("reject_body", *spec.reject_body, address, found.error()));
    if (*found) {
      const std::size_t at = std::min((*found)->begin, body.size());
      return mismatch(http_status, "the body from " + address + " matches reject_body " +
                                       quote(spec.reject_body->text()) + " at byte " +
                                       std::to_string(at) + ": '" + show(body.substr(at)) + "'");
    }
  }
  if (auto problem = check_json_body(body, cut, spec.body_limit, spec.expect_json, show)) {
    return mismatch(http_status,
                    "expect_json does not hold for the body from " + address + ": " + *problem);
  }
  return std::nullopt;
}

}  // namespace faultline

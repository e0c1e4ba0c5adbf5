// The assertions on a response body (expect_body, reject_body, expect_json), checked once the
// final response has arrived with an accepted status. Pure work on bytes already read: the
// probe engine runs it off the event loop (body_check_job.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "checks/probe_spec.hpp"
#include "checks/verdict.hpp"

namespace faultline {

// nullopt when every assertion of `spec` holds for `body` (its first spec.body_limit bytes;
// `cut` says the response went on beyond them), else http/body_mismatch in phase body with
// `http_status` and a message that names the assertion and shows at most 80 characters of what
// was found (escaped, printable.hpp), the spec's secrets (header values, the password, the
// token) blanked out as "[redacted]" first. Checked in order expect_body, reject_body,
// expect_json; the first that fails decides. A pattern that gives up (its match limit) fails
// too: it could not show that the body is as expected. `address` names the server in messages.
// Thread-safe; never throws.
std::optional<Verdict> check_body(const ProbeSpec& spec, std::string_view body, bool cut,
                                  int http_status, const std::string& address);

}  // namespace faultline

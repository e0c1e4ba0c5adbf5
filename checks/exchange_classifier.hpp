// The layer after connecting of tcp:// and tls:// targets with `send`/`expect`: what the
// conversation came to, in the taxonomy.
//
//   `expect` matched, or everything sent and nothing expected   -> ok
//   bytes came but never matched, and then the peer closed or reset, body_limit bytes were read,
//     or the deadline passed                                    -> protocol/expect_mismatch,
//     phase response; the message quotes what came (80 characters at most), and a reset keeps
//     ECONNRESET as the errno
//   nothing came, and the peer closed                           -> closed, phase response
//   nothing came, and the peer reset                            -> reset, phase response
//   nothing came before the deadline                            -> timeout, phase response
//   writing `send` failed                                       -> reset or closed, phase request
//   what came is not TLS any more (tls://)                      -> protocol/unexpected_reply
//   the regex needed more work than a match may do              -> local (the pattern's fault,
//                                                                  never the target's)
// A reset or close with nothing said is a transport fact, as for HTTP; once the server has
// answered, the answer is what was wrong, however the connection ended afterwards.
#pragma once

#include <string>

#include "checks/probe_spec.hpp"
#include "checks/tcp_exchange.hpp"
#include "checks/verdict.hpp"

namespace faultline {

// `remote` is the address talked to ("127.0.0.1:6379").
Verdict classify_exchange(const ExchangeFacts& facts, const ProbeSpec& spec,
                          const std::string& remote);

}  // namespace faultline

// The parts of `faultline check`'s report that only some kinds of target have: the question,
// answer, TTL and server of dns:// targets, and the conversation of tcp:// and tls:// targets
// with send/expect. check_report.cpp places them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "checks/probe_result.hpp"
#include "checks/probe_spec.hpp"
#include "daemon/terminal.hpp"

namespace faultline {

// The DNS line's text for a dns:// target: "MX example.com @127.0.0.1:53 over UDP".
std::string dns_question_text(const ProbeSpec& spec, const ProbeResult& r);

// The answer under the DNS line: one line per record, then the TTL and the response code,
// each indented as the report's detail lines are; "" without an answer.
std::string dns_answer_lines(const DnsAnswer& answer, const Painter& p);

// The APP line's text (tcp:// and tls:// targets with send or expect): "sent 'PING\r\n', got
// '+PONG\r\n'", values through quote().
std::string exchange_text(const ProbeSpec& spec, const ProbeResult& r);

// The PING line's text (icmp:// targets): "127.0.0.1: 3 sent, 3 received, rtt
// min/avg/max 0.04/0.05/0.07 ms"; the errors too when ICMP errors came back.
std::string icmp_text(const ProbeSpec& spec, const ProbeResult& r);
// The mail line's text (smtp(s), imap(s), pop3(s)): the steps the probe takes, "greeting,
// capabilities, STARTTLS".
std::string mail_exchange_text(const ProbeSpec& spec);

// The GRPC line's text (grpc:// and grpcs:// targets): "Health/Check 'api' -> SERVING", or the
// grpc-status ("-> grpc-status 12 UNIMPLEMENTED") or HTTP status that came instead.
std::string grpc_text(const ProbeSpec& spec, const ProbeResult& r);

// Adds "dns" {question, server, rcode, records, ttl, transport, response_ms} and "exchange"
// {sent, received, reply} and "icmp" {address, sent, received, errors, loss_ratio, rtt_min_ms,
// rtt_avg_ms, rtt_max_ms} and "grpc" {service, serving_status, grpc_status, grpc_message} to
// `out`; null when the result has none.
void add_kind_json(nlohmann::ordered_json& out, const ProbeResult& r);

}  // namespace faultline

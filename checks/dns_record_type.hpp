// The record types a dns:// target may ask for, and the one textual form of each type's records:
// what `expect:` values are written in, what `faultline check` prints and what the answer is
// compared in.
//
//   A      192.0.2.1                    (dotted quad)
//   AAAA   2001:db8::1                  (RFC 5952: lower case, the longest zero run as ::)
//   CNAME  alias.example.com            (a name: lower case, no trailing dot)
//   NS     ns1.example.com              (a name)
//   MX     10 mail.example.com          (preference, one space, the exchange's name)
//   TXT    v=spf1 -all                  (the record's strings joined without separator)
//   SOA    ns1.example.com hostmaster.example.com 2024010101 7200 3600 1209600 300
//          (mname rname serial refresh retry expire minimum, one space apart)
//
// Names compare without regard to case and with or without the trailing dot; TXT compares byte
// for byte.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "checks/expected.hpp"

namespace faultline {

enum class DnsType : std::uint8_t { a, aaaa, cname, mx, txt, ns, soa };

// "A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA".
std::string_view to_string(DnsType t);

// The type named `word`, in any case; nullopt for other words.
std::optional<DnsType> dns_type_from_string(std::string_view word);

// The type's number on the wire (RFC 1035, 3596): A 1, NS 2, CNAME 5, SOA 6, MX 15, TXT 16,
// AAAA 28.
std::uint16_t wire_code(DnsType t);

// "A|AAAA|CNAME|MX|TXT|NS|SOA", for messages.
std::string_view dns_type_list();

// `value` in the type's textual form (above), or why it is not a record of that type: "'x' is
// not an IPv4 address", "an MX value is 'PREFERENCE NAME', e.g. '10 mail.example.com'". Used on
// `expect:` values, which then compare as plain strings with the records of an answer.
Expected<std::string> normalise_dns_value(DnsType t, std::string_view value);

// A domain name in its textual form: lower case, without the trailing dot ("." stays "."). No
// validation beyond that.
std::string normalise_dns_name(std::string_view name);

}  // namespace faultline

#include "daemon/config_kind_keys.hpp"

#include <algorithm>

#include "daemon/config_icmp.hpp"
#include "daemon/config_validators.hpp"

namespace faultline {
namespace {

using KeyReader = void (*)(ConfigReader& r, const YAML::Node& value, ProbeSpec& probe);

struct KindKeyRule {
  std::string_view key;
  std::span<const Scheme> schemes;
  KeyReader read;
};

void read_send(ConfigReader& r, const YAML::Node& v, ProbeSpec& probe) {
  auto text = r.scalar(v, "send");
  if (!text) return;
  auto bytes = send_bytes(*text, "'send'");
  if (!bytes) {
    r.error(v.Mark(), bytes.error());
    return;
  }
  probe.send = std::move(*bytes);
}

void read_expect_pattern(ConfigReader& r, const YAML::Node& v, ProbeSpec& probe) {
  auto text = r.scalar(v, "expect");
  if (!text) return;
  auto pattern = pattern_value(*text, "'expect'", nullptr, PatternSubject::reply);
  if (!pattern) {
    r.error(v.Mark(), pattern.error());
    return;
  }
  probe.expect = std::move(*pattern);
}

// A list of records (or one), each a value of the URL's record type.
void read_expect_answer(ConfigReader& r, const YAML::Node& v, ProbeSpec& probe) {
  const DnsType type = probe.url.dns_type;
  std::vector<std::string> values;
  bool ok = true;
  auto add = [&](const YAML::Node& item) {
    auto text = r.scalar(item, "expect");
    if (!text) {
      ok = false;
      return;
    }
    auto value = expect_answer_value(type, *text, "'expect'");
    if (!value) {
      r.error(item.Mark(), value.error());
      ok = false;
      return;
    }
    values.push_back(std::move(*value));
  };
  if (v.IsSequence()) {
    for (const auto& item : v)
      add(item);
    if (ok && values.empty()) {
      r.error(v.Mark(), "'expect' must list at least one " + std::string(to_string(type)) +
                            " record, e.g. [" + (type == DnsType::a ? "192.0.2.1" : "...") + "]");
      ok = false;
    }
  } else {
    add(v);
  }
  if (ok) probe.expect_answer = std::move(values);
}

void read_starttls(ConfigReader& r, const YAML::Node& v, ProbeSpec& probe) {
  if (auto on = r.boolean(v, "starttls")) probe.starttls = *on;
}

constexpr Scheme kConversationSchemes[] = {Scheme::tcp, Scheme::tls};
constexpr Scheme kDnsSchemes[] = {Scheme::dns};
constexpr Scheme kIcmpSchemes[] = {Scheme::icmp};
// The plain mail schemes, which upgrade with STARTTLS (mail_protocol.hpp takes_starttls).
constexpr Scheme kStarttlsSchemes[] = {Scheme::smtp, Scheme::imap, Scheme::pop3};
constexpr Scheme kIdleSchemes[] = {Scheme::http, Scheme::https, Scheme::tcp, Scheme::tls};

// Each key, the schemes it applies to, and how it reads there.
constexpr KindKeyRule kKindKeyRules[] = {
    {"send", kConversationSchemes, &read_send},
    {"expect", kConversationSchemes, &read_expect_pattern},
    {"expect", kDnsSchemes, &read_expect_answer},
    {"count", kIcmpSchemes, &read_icmp_count},
    {"packet_interval", kIcmpSchemes, &read_icmp_packet_interval},
    {"min_replies", kIcmpSchemes, &read_icmp_min_replies},
    {"starttls", kStarttlsSchemes, &read_starttls},
};

bool has(std::span<const Scheme> schemes, Scheme s) {
  return std::find(schemes.begin(), schemes.end(), s) != schemes.end();
}

// "dns://, tcp:// and tls://": every scheme some rule of `key` applies to, in table order.
std::string schemes_of(std::string_view key) {
  std::vector<std::string> names;
  for (const SchemeRow& row : kSchemes) {
    for (const KindKeyRule& rule : kKindKeyRules)
      if (rule.key == key && has(rule.schemes, row.scheme)) {
        names.push_back(std::string(row.name) + "://");
        break;
      }
  }
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

// count, packet_interval and min_replies together, against the timeout; the error at the
// key that makes them impossible (min_replies, else packet_interval or count), else at the
// first of them written.
void check_icmp_keys(ConfigReader& r, std::span<const KindKey> keys, const std::string& name,
                     const ProbeSpec& probe) {
  const auto problem =
      icmp_options_problem(probe.icmp, probe.timeout, "count", "packet_interval", "min_replies");
  if (!problem || keys.empty()) return;
  const auto mark_of = [&](std::string_view key) -> const YAML::Mark* {
    for (const KindKey& k : keys)
      if (k.key == key) return &k.key_mark;
    return nullptr;
  };
  const bool too_many = probe.icmp.min_replies > probe.icmp.count;
  const YAML::Mark* where = too_many ? mark_of("min_replies") : mark_of("packet_interval");
  if (where == nullptr) where = mark_of("count");
  if (where == nullptr) where = &keys.front().key_mark;
  r.error(*where, "target " + quote(name) + ": " + *problem);
}

}  // namespace

bool is_kind_key(std::string_view key) {
  return std::find(std::begin(kKindKeys), std::end(kKindKeys), key) != std::end(kKindKeys);
}

bool takes_idle_probe(Scheme scheme) {
  return has(kIdleSchemes, scheme);
}

void read_kind_keys(ConfigReader& r, std::span<const KindKey> keys, const std::string& name,
                    ProbeSpec& probe) {
  const Scheme scheme = probe.url.scheme;
  for (const KindKey& k : keys) {
    const auto rule = std::find_if(
        std::begin(kKindKeyRules), std::end(kKindKeyRules),
        [&](const KindKeyRule& rule) { return rule.key == k.key && has(rule.schemes, scheme); });
    if (rule == std::end(kKindKeyRules)) {
      r.error(k.key_mark, "'" + k.key + "' only applies to " + schemes_of(k.key) +
                              " targets, and " + quote(name) + " is " +
                              std::string(to_string(scheme)) + "://");
      continue;
    }
    rule->read(r, k.value, probe);
  }
  if (scheme == Scheme::icmp) check_icmp_keys(r, keys, name, probe);
}

}  // namespace faultline

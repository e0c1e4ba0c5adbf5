#include "checks/dns_record_type.hpp"

#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <charconv>
#include <vector>

#include "checks/printable.hpp"

namespace faultline {
namespace {

struct TypeRow {
  DnsType type;
  std::string_view name;
  std::uint16_t code;
};

constexpr std::array kTypes = {
    TypeRow{DnsType::a, "A", 1},         TypeRow{DnsType::aaaa, "AAAA", 28},
    TypeRow{DnsType::cname, "CNAME", 5}, TypeRow{DnsType::mx, "MX", 15},
    TypeRow{DnsType::txt, "TXT", 16},    TypeRow{DnsType::ns, "NS", 2},
    TypeRow{DnsType::soa, "SOA", 6},
};

const TypeRow& row_of(DnsType t) {
  for (const TypeRow& r : kTypes)
    if (r.type == t) return r;
  return kTypes[0];
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ')
      ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ')
      ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

template <class Int>
std::optional<Int> number(std::string_view s) {
  Int v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '*';
}

// A host-like name as an answer would carry it: labels of letters, digits, '-', '_' (and '*' for
// wildcards), each 1 to 63 long.
Expected<std::string> name_value(std::string_view name) {
  std::string_view n = name;
  if (n.ends_with('.') && n.size() > 1) n.remove_suffix(1);
  if (n.empty()) return unexpected("a name is empty");
  std::size_t label = 0;
  for (char c : n) {
    if (!name_char(c)) return unexpected(quote(name) + " is not a domain name");
    label = c == '.' ? 0 : label + 1;
    if (label > 63) return unexpected(quote(name) + " has a label longer than 63 characters");
  }
  if (n.find("..") != std::string_view::npos || n.front() == '.' || n.size() > 253) {
    return unexpected(quote(name) + " is not a domain name");
  }
  return normalise_dns_name(n);
}

Expected<std::string> address_value(int family, std::string_view value) {
  std::array<unsigned char, 16> bytes{};
  std::array<char, INET6_ADDRSTRLEN> text{};
  const std::string input(value);
  if (inet_pton(family, input.c_str(), bytes.data()) != 1 ||
      inet_ntop(family, bytes.data(), text.data(), text.size()) == nullptr) {
    return unexpected(quote(value) + " is not an " + (family == AF_INET ? "IPv4" : "IPv6") +
                      " address");
  }
  return std::string(text.data());
}

Expected<std::string> mx_value(std::string_view value) {
  const auto w = words(value);
  const auto pref = w.size() == 2 ? number<std::uint16_t>(w[0]) : std::nullopt;
  if (!pref) {
    return unexpected("an MX value is 'PREFERENCE NAME', e.g. '10 mail.example.com', not " +
                      quote(value));
  }
  auto name = name_value(w[1]);
  if (!name) return name;
  return std::to_string(*pref) + " " + *name;
}

Expected<std::string> soa_value(std::string_view value) {
  const auto w = words(value);
  const std::string form =
      "an SOA value is 'MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM', e.g. 'ns1.example.com "
      "hostmaster.example.com 2024010101 7200 3600 1209600 300', not " +
      quote(value);
  if (w.size() != 7) return unexpected(form);
  std::string out;
  for (std::size_t i = 0; i < 2; ++i) {
    auto name = name_value(w[i]);
    if (!name) return name;
    out += *name + " ";
  }
  for (std::size_t i = 2; i < 7; ++i) {
    auto n = number<std::uint32_t>(w[i]);
    if (!n) return unexpected(form);
    out += std::to_string(*n) + (i < 6 ? " " : "");
  }
  return out;
}

}  // namespace

std::string_view to_string(DnsType t) {
  return row_of(t).name;
}

std::optional<DnsType> dns_type_from_string(std::string_view word) {
  for (const TypeRow& r : kTypes) {
    if (r.name.size() == word.size() &&
        std::equal(r.name.begin(), r.name.end(), word.begin(), [](char a, char b) {
          return a == std::toupper(static_cast<unsigned char>(b));
        })) {
      return r.type;
    }
  }
  return std::nullopt;
}

std::uint16_t wire_code(DnsType t) {
  return row_of(t).code;
}

std::string_view dns_type_list() {
  return "A|AAAA|CNAME|MX|TXT|NS|SOA";
}

std::string normalise_dns_name(std::string_view name) {
  if (name.size() > 1 && name.ends_with('.')) name.remove_suffix(1);
  std::string out(name);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Expected<std::string> normalise_dns_value(DnsType t, std::string_view value) {
  switch (t) {
    case DnsType::a:
      return address_value(AF_INET, value);
    case DnsType::aaaa:
      return address_value(AF_INET6, value);
    case DnsType::cname:
    case DnsType::ns:
      return name_value(value);
    case DnsType::mx:
      return mx_value(value);
    case DnsType::soa:
      return soa_value(value);
    case DnsType::txt:
      return std::string(value);
  }
  return std::string(value);
}

}  // namespace faultline

// The pieces every URL faultline parses with libcurl's URL API needs: ownership of a CURLU and
// of the strings it hands out, one part read as a string, and the host checks targets and
// proxies share.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>

namespace faultline {

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;

struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

// The part, or an empty string when the URL does not have it.
std::string url_part(CURLU* url, CURLUPart part, unsigned flags = 0);

// A numeric IPv4 or IPv6 address (without brackets).
bool is_ip_literal(const std::string& host);

// A character a host name may hold: letters, digits, '-', '.' and '_'.
bool is_hostname_char(char c);

}  // namespace faultline

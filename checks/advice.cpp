#include "checks/advice.hpp"

#include <cerrno>

namespace faultline {

namespace {

std::string_view dns_advice(const ProbeResult& r) {
  switch (r.detail) {
    case Detail::nxdomain:
      return "The name does not exist: check the spelling in the URL, whether the record was "
             "deleted or the domain lapsed, and which resolver this host uses "
             "(/etc/resolv.conf).";
    case Detail::no_address:
      return "The name exists but has no A/AAAA record: look at the DNS zone (a record "
             "removed, a CNAME pointing nowhere, an IPv6-only name on an IPv4-only host).";
    case Detail::timeout:
      return "No DNS answer in time: check that this host's resolver is reachable and "
             "healthy (dig NAME @RESOLVER).";
    default:
      return "The resolver could not answer (SERVFAIL or unreachable): check this host's "
             "resolver and the zone's authoritative servers (dig +trace NAME); DNSSEC "
             "validation failures look the same.";
  }
}

std::string_view timeout_advice(const ProbeResult& r) {
  switch (r.phase) {
    case Phase::connect:
      return "The TCP handshake got no answer: a firewall dropping packets, the host "
             "offline, stale DNS pointing at a dead address, a routing problem, or a server "
             "so overloaded its accept queue is full. traceroute -T -p PORT HOST shows where "
             "packets stop.";
    case Phase::body:
      return "The response started but did not finish in time: a stalled backend or a "
             "response too slow or too large for the deadline.";
    default:
      return "Connected, but no answer in time: the application is overloaded or waiting "
             "on a dependency (database, upstream), or the timeout is too short for this "
             "endpoint.";
  }
}

std::string_view tls_advice(const ProbeResult& r) {
  switch (r.detail) {
    case Detail::expired:
      return "The certificate has expired: renew it, check why automatic renewal did not "
             "run, and reload the server.";
    case Detail::not_yet_valid:
      return "The certificate is not valid yet: it was issued with a future start date, or "
             "the clock is wrong here or on the server (check NTP).";
    case Detail::hostname_mismatch:
      return "The certificate does not cover this name: the server presents the wrong "
             "certificate (SNI or default-vhost misconfiguration), or the URL uses a name "
             "the certificate lacks.";
    case Detail::untrusted:
      return "The certificate chain is not trusted: self-signed, issued by a private CA "
             "(point ca_file at it), or the server does not send its intermediate "
             "certificates.";
    case Detail::reset:
      return "Reset during the TLS handshake: a TLS problem, not TCP. The server or a "
             "middlebox rejected the ClientHello (SNI filtering, TLS version policy). If "
             "plain HTTP on the same host works while this port resets, look at the TLS "
             "terminator, not the network.";
    case Detail::closed:
      return "The server hung up during the TLS handshake without an alert: often a TLS "
             "terminator with no certificate for this name (SNI), or a port that does not "
             "speak TLS.";
    case Detail::client_certificate:
      return "The server wants a client certificate (mutual TLS) and got none, or refused "
             "the one sent: set client_cert and client_key, and check that the server "
             "trusts its issuer and that it has not expired.";
    case Detail::timeout:
      return "The TLS handshake got no answer: the port accepts TCP but does not speak TLS "
             "(or waits for the client to talk first), or the TLS terminator is stalled.";
    default:
      return "The TLS handshake failed: protocol version or cipher mismatch, a client "
             "certificate required, or the port does not speak TLS (plain HTTP behind an "
             "https:// URL).";
  }
}

// The advice for class http: the reply, its status or its body.
std::string_view http_advice(const ProbeResult& r) {
  if (r.detail == Detail::malformed) {
    return "The reply is not HTTP: the port serves another protocol, or the server or a "
           "proxy in front of it is broken.";
  }
  if (r.detail == Detail::body_mismatch) {
    return "The server answered with an accepted status, but the body is not what the "
           "target expects (expect_body, reject_body, expect_json): the application reports "
           "itself or a dependency unhealthy, or an error page, a login page or a proxy's "
           "page came back with a success status. The message shows what was found.";
  }
  if (r.http_status >= 300 && r.http_status < 400) {
    return "The server redirects: point the URL at where it leads, or let the probe follow "
           "(follow_redirects, check --location). A loop, or more redirects than allowed, "
           "means the redirects themselves are broken: check each hop's Location header "
           "(curl -sIL URL).";
  }
  if (r.http_status >= 500) {
    return "The server answered with an error: the application or a proxy in front of it "
           "is failing (502/504: the proxy cannot reach its backend; 503: overloaded or in "
           "maintenance).";
  }
  return "The server answered, but not with an expected status: check the URL, method and "
         "credentials, or add the code to expect_status if it is correct.";
}

std::string_view local_advice(const ProbeResult& r) {
  if (r.phase == Phase::connect && (r.sys_errno == EINVAL || r.sys_errno == EACCES)) {
    return "The probe never left this host: a blackhole or prohibit route in its routing "
           "table (ip route get ADDRESS shows it), an IPv6 link-local address, or for "
           "EACCES a security policy. Remove the route if the target should be reachable "
           "from here; it does not count against the target.";
  }
  return "The failure is on this monitoring host, not the target (file descriptors, "
         "memory, ephemeral ports, a local firewall rule); it does not count against the "
         "target.";
}

// Phase proxy: the proxy failed, and the target was not reached through it.
std::string_view proxy_advice(const ProbeResult& r) {
  switch (r.cls) {
    case FailureClass::dns:
      return "The proxy's own name does not resolve: check the host in the proxy URL and this "
             "host's resolver. The target was not tried.";
    case FailureClass::refused:
    case FailureClass::unreachable:
    case FailureClass::timeout:
      return "The proxy itself is down, unreachable or not answering (or, for SOCKS, refuses "
             "this target by its rules): check the proxy's service and the path to it. The "
             "target was not tried, so this says nothing about the target.";
    case FailureClass::tls:
      return "The TLS connection to the https:// proxy failed: its certificate (ca_file is "
             "also used for the proxy), its name, or its TLS setup. The target was not tried.";
    case FailureClass::http:
      if (r.http_status == 407) {
        return "The proxy wants credentials, or rejected them: put them in the proxy URL "
               "(http://USER:PASSWORD@host:port) and check them with the proxy's admin.";
      }
      return "The proxy answered the request to tunnel with an error: 502/503/504 mean it "
             "could not reach the target (refused, unreachable, unresolvable or silent: its "
             "logs say which), 403 that its rules forbid this host or port. A reply that is "
             "not a proxy's means the proxy URL points at another service.";
    default:
      return "The connection to the proxy failed before it reached the target: check the "
             "proxy's logs and limits. The target was not tried.";
  }
}

// dns:// targets ask one server directly: the advice is about that server and its zone, not
// this host's resolver.
std::string_view dns_server_advice(Detail d) {
  switch (d) {
    case Detail::nxdomain:
      return "The server says the name does not exist: check the name in the URL, the zone's "
             "contents on that server (a record deleted, a zone not loaded or expired on a "
             "secondary), and dig NAME @SERVER.";
    case Detail::no_address:
      return "The name exists but the server has no record of the asked type: check the zone "
             "on that server (a record removed or only in another view), and the ?type= in the "
             "URL.";
    case Detail::refused:
      return "The server would not answer: nothing listens on that port (ICMP port "
             "unreachable), or its access rules refuse this host (allow-query, allow-recursion "
             "for a name outside its zones), or it does not serve that zone.";
    case Detail::answer_mismatch:
      return "The server answered, but without a record `expect` requires: a changed record, a "
             "stale secondary (compare SOA serials), a split-horizon view, or an `expect` value "
             "to update.";
    case Detail::timeout:
      return "The server did not answer in time: it is down, overloaded, or a firewall drops "
             "DNS to it (UDP and TCP port 53); dig NAME @SERVER from this host shows which.";
    default:
      return "The server failed to answer (SERVFAIL or a broken reply): for a resolver, the "
             "zone's authoritative servers or DNSSEC validation failed; for an authoritative "
             "server, its zone did not load. dig +trace NAME shows where.";
  }
}

std::string_view protocol_advice(Detail d) {
  switch (d) {
    case Detail::expect_mismatch:
      return "The server answered, but not with what `expect` requires: the message shows what "
             "came. A different service on that port, an error reply (authentication required, "
             "a wrong command), or an `expect` pattern to fix.";
    case Detail::no_starttls:
      return "The server does not offer STARTTLS: its TLS is switched off or misconfigured, or a "
             "middlebox strips the STARTTLS capability (a downgrade).";
    case Detail::not_serving:
      return "The gRPC health service says the service is not serving: the application reports "
             "itself unhealthy, is starting or draining, or does not know the service name.";
    case Detail::grpc_status:
      return "The gRPC call failed with the status the message names: UNIMPLEMENTED means no "
             "health service; UNAVAILABLE an overloaded or stopping server or a proxy without a "
             "backend.";
    default:
      return "The server's greeting or answer is not what the protocol requires: another "
             "service on that port, a server in an error state, or a proxy in the way.";
  }
}

// icmp:// targets: echo requests, not TCP; empty where the general text fits.
std::string_view icmp_advice(const ProbeResult& r) {
  switch (r.cls) {
    case FailureClass::local:
      if (r.sys_errno != EACCES && r.sys_errno != EPERM) return "";
      return "No echo request left this host: the kernel refuses faultline's group an "
             "unprivileged ICMP socket unless net.ipv4.ping_group_range includes it (sysctl -w "
             "net.ipv4.ping_group_range=\"0 2147483647\", kept in /etc/sysctl.d/), or a "
             "prohibit route or this host's firewall stops it. It does not count against the "
             "target.";
    case FailureClass::unreachable:
      return "A router (named in the message; this host when none is) answered that it "
             "cannot deliver to the host: check the routes and firewalls at that router, or "
             "whether the host is on its network at all. traceroute HOST shows the way there.";
    case FailureClass::timeout:
      return "No echo reply: the host is down or off the network, or a firewall on the way "
             "drops ICMP echo (many do; a tcp:// check of a port it serves tells the two "
             "apart). traceroute HOST shows where packets stop.";
    default:
      return "";
  }
}

}  // namespace

std::string_view advice_for(const ProbeResult& r) {
  if (r.phase == Phase::proxy && r.cls != FailureClass::local) return proxy_advice(r);
  if (r.icmp && r.phase == Phase::connect) {
    const std::string_view icmp = icmp_advice(r);
    if (!icmp.empty()) return icmp;
  }
  switch (r.cls) {
    case FailureClass::ok:
      return "";
    case FailureClass::protocol:
      return protocol_advice(r.detail);
    case FailureClass::dns:
      return r.dns ? dns_server_advice(r.detail) : dns_advice(r);
    case FailureClass::refused:
      return "Nothing accepted the connection on that port: wrong port, the service is down or "
             "still starting, a firewall rejecting rather than dropping, or a container port "
             "that is not published. If another port on the same host answers, the host is up "
             "and the problem is this port.";
    case FailureClass::unreachable:
      return "No route to the host (ICMP unreachable or administratively prohibited): check "
             "routing and firewalls between here and the target; traceroute -T -p PORT HOST "
             "shows where it stops.";
    case FailureClass::timeout:
      return timeout_advice(r);
    case FailureClass::reset:
      return "The established connection was reset: server overload or a concurrency limit, a "
             "WAF or DDoS filter rejecting the request, keep-alive misuse, or a load balancer, "
             "NAT or firewall that forgot an idle connection. Resets after quiet periods point "
             "to the middlebox: enable TCP keepalive shorter than its idle timeout.";
    case FailureClass::closed:
      return "The server closed the connection before the response was complete: a crash or "
             "restart mid-request, a proxy with a short timeout, or a backend that hangs up "
             "instead of answering.";
    case FailureClass::tls:
      return tls_advice(r);
    case FailureClass::http:
      return http_advice(r);
    case FailureClass::local:
      return local_advice(r);
  }
  return "";
}

}  // namespace faultline

#include "tests/support/connection_behaviors.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <optional>
#include <string_view>

#include "tests/support/server_stream.hpp"

namespace faultline::testing {

namespace {

using Clock = std::chrono::steady_clock;

// Big enough for any probe's request head; a client sending more is not a probe.
constexpr std::size_t kMaxRequestHead = std::size_t{64} * 1024;
// What rst_mid_body and close_mid_body promise versus what they send before giving up.
constexpr std::size_t kPromisedBody = 100000;
constexpr std::size_t kSentBody = 4096;
// slow_body promises this much so that no probe deadline is ever reached by finishing.
constexpr std::size_t kSlowBodyLength = 1000000;

struct RequestHead {
  std::string text;
  std::string target;  // "/path?query" from the request line
  bool keep_alive = false;
  bool is_head = false;
  std::size_t content_length = 0;
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Whether a comma-separated header value such as "keep-alive, Upgrade" holds `token`.
bool has_token(std::string_view value, std::string_view token) {
  std::string v = lower(value);
  std::string_view rest = v;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    if (trim(rest.substr(0, comma)) == token) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

RequestHead parse_head(std::string text) {
  RequestHead head;
  std::string_view view = text;
  std::size_t eol = view.find("\r\n");
  std::string_view request_line = view.substr(0, eol);
  head.is_head = request_line.starts_with("HEAD ");
  const std::size_t target_start = request_line.find(' ');
  if (target_start != std::string_view::npos) {
    const std::size_t target_end = request_line.find(' ', target_start + 1);
    head.target = request_line.substr(target_start + 1, target_end - target_start - 1);
  }
  bool http11 = request_line.ends_with("HTTP/1.1");
  std::string connection;
  while (eol != std::string_view::npos) {
    view.remove_prefix(eol + 2);
    eol = view.find("\r\n");
    std::string_view line = view.substr(0, eol);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = lower(trim(line.substr(0, colon)));
    std::string_view value = trim(line.substr(colon + 1));
    if (name == "connection") connection = value;
    if (name == "content-length")
      std::from_chars(value.data(), value.data() + value.size(), head.content_length);
  }
  head.keep_alive = http11 ? !has_token(connection, "close") : has_token(connection, "keep-alive");
  head.text = std::move(text);
  return head;
}

struct NextRequest {
  IoStatus status;  // ok when `head` holds a request
  RequestHead head;
};

// Splits the byte stream into requests, keeping whatever follows one head (a body, a
// pipelined request) for the next call. Request bodies are discarded by Content-Length;
// chunked request bodies are not supported (probes do not send them).
class RequestReader {
 public:
  explicit RequestReader(ConnectionContext& ctx) : ctx_(ctx) {}

  // Reads the next request head and discards its body. `idle_timeout` bounds only the wait
  // for the first byte of the request; once it has started it may take as long as it likes.
  NextRequest next(ServerStream& stream,
                   std::optional<std::chrono::milliseconds> idle_timeout = std::nullopt) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (buffer_.size() > kMaxRequestHead) return {IoStatus::error, {}};
      IoResult r = fill(stream, buffer_.empty() ? idle_timeout : std::nullopt);
      if (r.status != IoStatus::ok) return {r.status, {}};
    }
    RequestHead head = parse_head(buffer_.substr(0, end + 4));
    buffer_.erase(0, end + 4);
    ctx_.requests.fetch_add(1);
    {
      std::lock_guard lock(ctx_.mutex);
      ctx_.last_request = head.text;
    }
    std::size_t body_left = head.content_length;
    std::string body;
    while (body_left > 0) {
      if (buffer_.empty()) {
        IoResult r = fill(stream, std::nullopt);
        if (r.status != IoStatus::ok) return {r.status, {}};
      }
      std::size_t n = std::min(body_left, buffer_.size());
      body.append(buffer_, 0, n);
      buffer_.erase(0, n);
      body_left -= n;
    }
    {
      std::lock_guard lock(ctx_.mutex);
      ctx_.last_request_body = std::move(body);
    }
    return {IoStatus::ok, std::move(head)};
  }

  // Reads whatever comes first and keeps it; for the TLS behaviours that only look.
  IoResult fill(ServerStream& stream, std::optional<std::chrono::milliseconds> timeout) {
    char chunk[4096];
    IoResult r = stream.read(chunk, sizeof chunk, timeout);
    if (r.status == IoStatus::ok) buffer_.append(chunk, r.bytes);
    return r;
  }

  const std::string& buffered() const { return buffer_; }

 private:
  ConnectionContext& ctx_;
  std::string buffer_;
};

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

// A response head; no Content-Length line when `content_length` is none.
std::string response_head(int status, std::optional<std::size_t> content_length,
                          bool connection_close, std::string_view content_type = "text/plain",
                          std::string_view extra_headers = "") {
  std::string head =
      "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_phrase(status)) +
      "\r\nContent-Type: " + std::string(content_type) + "\r\n" + std::string(extra_headers);
  if (content_length) head += "Content-Length: " + std::to_string(*content_length) + "\r\n";
  if (connection_close) head += "Connection: close\r\n";
  return head + "\r\n";
}

void serve_http(ConnectionContext& ctx, ServerStream& stream, int status) {
  RequestReader reader(ctx);
  std::optional<std::chrono::milliseconds> idle;  // the first request may take its time
  for (;;) {
    NextRequest request = reader.next(stream, idle);
    if (request.status == IoStatus::timed_out) {
      // The idle keep-alive timeout: an orderly FIN, like nginx; or an RST, like a middlebox
      // that gives up on the connection and tells the client.
      if (ctx.options.keep_alive_idle_reset) {
        stream.reset();
      } else {
        stream.close();
      }
      return;
    }
    if (request.status != IoStatus::ok) return;
    if (!sleep_unless_stopped(ctx.options.response_delay, ctx.stop)) return;
    bool close = !request.head.keep_alive;
    RouteResponse answer{status, ctx.options.extra_headers, ctx.options.body};
    if (auto route = ctx.options.routes.find(request.head.target);
        route != ctx.options.routes.end()) {
      answer = route->second;
    }
    // RFC 9110: these statuses never carry a body, so they get neither body nor length.
    const bool no_body = answer.status < 200 || answer.status == 204 || answer.status == 304;
    std::string response =
        response_head(answer.status, no_body ? std::nullopt : std::optional(answer.body.size()),
                      close, "text/plain", answer.extra_headers);
    if (!no_body && !request.head.is_head) response += answer.body;
    if (stream.write_all(response) != IoStatus::ok) return;
    if (close) {
      stream.close();
      return;
    }
    idle = ctx.options.keep_alive_idle_timeout;
  }
}

// Reads until the first TLS record is complete (or the bytes turn out not to be TLS).
bool read_client_hello(ConnectionContext& ctx, ServerStream& stream) {
  RequestReader reader(ctx);
  for (;;) {
    if (reader.fill(stream, std::nullopt).status != IoStatus::ok) return false;
    const std::string& got = reader.buffered();
    if (static_cast<unsigned char>(got[0]) != 0x16) return true;  // not a handshake record
    if (got.size() < 5) continue;
    std::size_t length =
        static_cast<unsigned char>(got[3]) * 256u + static_cast<unsigned char>(got[4]);
    if (got.size() >= 5 + length) return true;
  }
}

bool tls_handshake(ConnectionContext& ctx, ServerStream& stream) {
  bool ok = stream.handshake(ctx.tls.get());
  (ok ? ctx.tls_handshakes : ctx.tls_handshake_failures).fetch_add(1);
  return ok;
}

// Sends one byte per interval until the promised length, the peer leaves, or stop.
void drip_body(ConnectionContext& ctx, ServerStream& stream) {
  for (std::size_t sent = 0; sent < kSlowBodyLength; ++sent) {
    Clock::time_point due = Clock::now() + ctx.options.slow_body_interval;
    // Keep reading meanwhile, so a client that closes is noticed and we stop.
    for (Clock::time_point now = Clock::now(); now < due; now = Clock::now()) {
      char discard[512];
      auto left = std::chrono::ceil<std::chrono::milliseconds>(due - now);
      IoStatus s = stream.read(discard, sizeof discard, left).status;
      if (s != IoStatus::ok && s != IoStatus::timed_out) return;
    }
    if (stream.write_all("x") != IoStatus::ok) return;
  }
}

// Header lines of 1 KiB each, up to `limit` bytes or until the peer stops reading.
void flood_headers(ServerStream& stream, std::size_t limit) {
  if (stream.write_all("HTTP/1.1 200 OK\r\n") != IoStatus::ok) return;
  const std::string filler(1000, 'a');
  for (std::size_t sent = 0, n = 0; sent < limit; ++n) {
    const std::string line = "X-Flood-" + std::to_string(n) + ": " + filler + "\r\n";
    if (stream.write_all(line) != IoStatus::ok) return;
    sent += line.size();
  }
}

// One header line that never ends, up to `limit` bytes or until the peer stops reading.
void flood_one_header(ServerStream& stream, std::size_t limit) {
  if (stream.write_all("HTTP/1.1 200 OK\r\nX-Huge: ") != IoStatus::ok) return;
  const std::string chunk(std::size_t{16} * 1024, 'h');
  for (std::size_t sent = 0; sent < limit; sent += chunk.size()) {
    if (stream.write_all(chunk) != IoStatus::ok) return;
  }
}

// Sends `text` one byte per interval, reading meanwhile so a client that leaves is noticed.
void drip(ConnectionContext& ctx, ServerStream& stream, std::string_view text) {
  for (char c : text) {
    Clock::time_point due = Clock::now() + ctx.options.slow_body_interval;
    for (Clock::time_point now = Clock::now(); now < due; now = Clock::now()) {
      char discard[512];
      auto left = std::chrono::ceil<std::chrono::milliseconds>(due - now);
      IoStatus s = stream.read(discard, sizeof discard, left).status;
      if (s != IoStatus::ok && s != IoStatus::timed_out) return;
    }
    if (stream.write_all(std::string_view(&c, 1)) != IoStatus::ok) return;
  }
}

void stream_forever(ServerStream& stream) {
  const std::string chunk(std::size_t{16} * 1024, 'z');
  while (stream.write_all(chunk) == IoStatus::ok) {
  }
}

// line_reply: one chunk in (unless greeting first), the reply out, then hold, FIN or RST.
void line_reply(ConnectionContext& ctx, ServerStream& stream) {
  const LoopbackServerOptions& o = ctx.options;
  if (!o.greet_first) {
    char buffer[4096];
    const IoResult got = stream.read(buffer, sizeof buffer);
    if (got.status != IoStatus::ok) return;
    std::lock_guard lock(ctx.mutex);
    ctx.last_request.assign(buffer, got.bytes);
    ++ctx.requests;
  }
  if (!o.reply.empty() && stream.write_all(o.reply) != IoStatus::ok) return;
  switch (o.after_reply) {
    case AfterReply::hold:
      stream.hold();
      break;
    case AfterReply::close:
      stream.close();
      break;
    case AfterReply::reset:
      stream.reset();
      break;
  }
}

}  // namespace

void serve_connection(ConnectionContext& ctx, UniqueFd connection) {
  ServerStream stream(std::move(connection), ctx.stop);
  RequestReader reader(ctx);
  auto read_request = [&] { return reader.next(stream).status == IoStatus::ok; };
  const std::string truncated =
      response_head(200, kPromisedBody, false) + std::string(kSentBody, 'x');
  switch (ctx.options.behavior) {
    case Behavior::http_ok:
      serve_http(ctx, stream, 200);
      break;
    case Behavior::http_status:
      serve_http(ctx, stream, ctx.options.status);
      break;
    case Behavior::rst_after_request:
      if (read_request()) stream.reset();
      break;
    case Behavior::rst_mid_body:
      if (read_request() && stream.write_all(truncated) == IoStatus::ok) stream.reset();
      break;
    case Behavior::close_without_reply:
      if (read_request()) stream.close();
      break;
    case Behavior::close_mid_body:
      if (read_request() && stream.write_all(truncated) == IoStatus::ok) stream.close();
      break;
    case Behavior::accept_never_answer:
    case Behavior::tcp_accept_hold:
      stream.hold();
      break;
    case Behavior::slow_body:
      if (read_request() &&
          stream.write_all(response_head(200, kSlowBodyLength, false)) == IoStatus::ok)
        drip_body(ctx, stream);
      break;
    case Behavior::garbage:
      if (read_request() && stream.write_all(ctx.options.garbage) == IoStatus::ok) stream.close();
      break;
    case Behavior::endless_body:
      if (read_request() &&
          stream.write_all(response_head(200, std::nullopt, true, "application/octet-stream")) ==
              IoStatus::ok)
        stream_forever(stream);
      break;
    case Behavior::rst_after_client_hello:
      if (read_client_hello(ctx, stream)) stream.reset();
      break;
    case Behavior::silent_after_client_hello:
      if (read_client_hello(ctx, stream)) stream.hold();
      break;
    case Behavior::close_after_client_hello:
      if (read_client_hello(ctx, stream)) stream.close();
      break;
    case Behavior::http_answers_client_hello:
      if (read_client_hello(ctx, stream) &&
          stream.write_all("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: "
                           "close\r\n\r\n") == IoStatus::ok) {
        stream.close();
      }
      break;
    case Behavior::tls_http_ok:
      if (tls_handshake(ctx, stream)) serve_http(ctx, stream, 200);
      break;
    case Behavior::rst_second_request:
    case Behavior::silent_second_request:
      if (read_request() &&
          stream.write_all(response_head(200, ctx.options.body.size(), false) + ctx.options.body) ==
              IoStatus::ok &&
          read_request()) {
        if (ctx.options.behavior == Behavior::rst_second_request) {
          stream.reset();
        } else {
          stream.hold();
        }
      }
      break;
    case Behavior::tls_accept_only:
      if (tls_handshake(ctx, stream)) stream.hold();
      break;
    case Behavior::header_flood:
      if (read_request()) flood_headers(stream, ctx.options.flood_bytes);
      break;
    case Behavior::huge_header_line:
      if (read_request()) flood_one_header(stream, ctx.options.flood_bytes);
      break;
    case Behavior::slow_head:
      if (read_request()) drip(ctx, stream, response_head(200, 3, true) + "ok\n");
      break;
    // Both hold the connection until the client leaves: closing first would make the
    // client's own close_notify or alert bounce off as an RST and race with what it read.
    case Behavior::tls_garbage:
      if (tls_handshake(ctx, stream) && read_request() &&
          stream.write_all(ctx.options.garbage) == IoStatus::ok) {
        stream.hold();
      }
      break;
    case Behavior::tls_close_without_reply:
      if (tls_handshake(ctx, stream) && read_request()) stream.close();
      break;
    case Behavior::tls_reset_after_handshake:
      if (tls_handshake(ctx, stream)) stream.reset();
      break;
    case Behavior::tls_raw_garbage:
      if (tls_handshake(ctx, stream) && read_request() &&
          stream.write_raw(ctx.options.garbage) == IoStatus::ok) {
        stream.hold_raw();
      }
      break;
    case Behavior::line_reply:
      line_reply(ctx, stream);
      break;
    case Behavior::tls_line_reply:
      if (tls_handshake(ctx, stream)) line_reply(ctx, stream);
      break;
  }
}

}  // namespace faultline::testing

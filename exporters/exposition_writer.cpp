#include "exporters/exposition_writer.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

namespace faultline {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Histogram:
      return "histogram";
    case MetricType::Untyped:
      break;
  }
  return "untyped";
}

// A number as TextSerializer writes it: printf's %.16g in the C locale (an ostream with
// precision 16), +Inf and -Inf. Returns the end of what it wrote into `buf` (32 bytes).
char* format_number(char* buf, double v) {
  constexpr std::size_t kSize = 32;
  if (std::isnan(v)) return std::copy_n("NaN", 3, buf);
  if (std::isinf(v)) return std::copy_n(v < 0 ? "-Inf" : "+Inf", 4, buf);
  // Whole numbers print as integers under %.16g as well (below 1e16), and they are most of a
  // scrape: counters, 0/1 gauges. Integer formatting is several times cheaper. -0 keeps its
  // sign through the general path.
  if (std::fabs(v) < 1e15 && v == std::trunc(v) && !(v == 0 && std::signbit(v))) {
    return std::to_chars(buf, buf + kSize, static_cast<std::int64_t>(v)).ptr;
  }
  return std::to_chars(buf, buf + kSize, v, std::chars_format::general, 16).ptr;
}

void append_escaped(std::string& out, std::string_view value, bool quotes) {
  for (char c : value) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\\' || (quotes && c == '"')) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string render_labels(const std::vector<ClientMetric::Label>& labels) {
  std::string out;
  for (const auto& l : labels) {
    if (!out.empty()) out += ',';
    out += l.name;
    out += "=\"";
    append_escaped(out, l.value, true);
    out += '"';
  }
  return out;
}

ExpositionWriter::ExpositionWriter(Sink sink, std::size_t chunk_bytes)
    : sink_(std::move(sink)), chunk_bytes_(chunk_bytes) {
  // A line rarely passes 1 KiB, so the buffer seldom grows past this.
  buffer_.reserve(chunk_bytes_ + 4096);
}

void ExpositionWriter::begin_family(std::string_view name, std::string_view help, MetricType type,
                                    FamilyHeader header) {
  name_.assign(name);
  help_.assign(help);
  type_ = type;
  header_pending_ = true;
  if (header == FamilyHeader::always) write_header();
}

void ExpositionWriter::write_header() {
  header_pending_ = false;
  if (!help_.empty()) {
    buffer_ += "# HELP ";
    buffer_ += name_;
    buffer_ += ' ';
    append_escaped(buffer_, help_, false);
    buffer_ += '\n';
  }
  buffer_ += "# TYPE ";
  buffer_ += name_;
  buffer_ += ' ';
  buffer_ += type_name(type_);
  buffer_ += '\n';
}

void ExpositionWriter::head(std::string_view suffix, std::string_view labels) {
  if (header_pending_) write_header();
  buffer_ += name_;
  buffer_ += suffix;
  if (labels.empty()) {
    buffer_ += ' ';
    return;
  }
  buffer_ += '{';
  buffer_ += labels;
  buffer_ += "} ";
}

void ExpositionWriter::head_extra(std::string_view suffix, std::string_view labels,
                                  std::string_view extra_name) {
  if (header_pending_) write_header();
  buffer_ += name_;
  buffer_ += suffix;
  buffer_ += '{';
  buffer_ += labels;
  if (!labels.empty()) buffer_ += ',';
  buffer_ += extra_name;
  buffer_ += "=\"";
}

void ExpositionWriter::tail(std::int64_t timestamp_ms) {
  if (timestamp_ms != 0) {
    buffer_ += ' ';
    char buf[32];
    buffer_.append(buf, std::to_chars(buf, buf + sizeof buf, timestamp_ms).ptr);
  }
  buffer_ += '\n';
  maybe_flush();
}

void ExpositionWriter::value(double v) {
  char buf[32];
  buffer_.append(buf, format_number(buf, v));
}

void ExpositionWriter::count(std::uint64_t n) {
  char buf[32];
  buffer_.append(buf, std::to_chars(buf, buf + sizeof buf, n).ptr);
}

void ExpositionWriter::sample(std::string_view labels, double v, std::string_view extra_name,
                              std::string_view extra_value) {
  if (extra_name.empty()) {
    head({}, labels);
  } else {
    head_extra({}, labels, extra_name);
    append_escaped(buffer_, extra_value, true);
    buffer_ += "\"} ";
  }
  value(v);
  tail(0);
}

void ExpositionWriter::histogram(std::string_view labels, const ClientMetric::Histogram& h) {
  histogram(labels, h, 0);
}

void ExpositionWriter::histogram(std::string_view labels, const ClientMetric::Histogram& h,
                                 std::int64_t timestamp_ms) {
  head("_count", labels);
  count(h.sample_count);
  tail(timestamp_ms);
  head("_sum", labels);
  value(h.sample_sum);
  tail(timestamp_ms);
  double last = -std::numeric_limits<double>::infinity();
  for (const auto& b : h.bucket) {
    head_extra("_bucket", labels, "le");
    value(b.upper_bound);
    buffer_ += "\"} ";
    count(b.cumulative_count);
    tail(timestamp_ms);
    last = b.upper_bound;
  }
  if (last != std::numeric_limits<double>::infinity()) {
    head_extra("_bucket", labels, "le");
    buffer_ += "+Inf\"} ";
    count(h.sample_count);
    tail(timestamp_ms);
  }
}

void ExpositionWriter::family(const MetricFamily& family) {
  begin_family(family.name, family.help, family.type, FamilyHeader::always);
  for (const ClientMetric& m : family.metric)
    metric(m);
}

// One ClientMetric of the current family the way TextSerializer writes it, timestamp included.
void ExpositionWriter::metric(const ClientMetric& m) {
  const std::string labels = render_labels(m.label);
  switch (type_) {
    case MetricType::Counter:
    case MetricType::Gauge:
    case MetricType::Untyped:
      head({}, labels);
      value(type_ == MetricType::Counter ? m.counter.value
            : type_ == MetricType::Gauge ? m.gauge.value
                                         : m.untyped.value);
      tail(m.timestamp_ms);
      return;
    case MetricType::Summary:
      head("_count", labels);
      count(m.summary.sample_count);
      tail(m.timestamp_ms);
      head("_sum", labels);
      value(m.summary.sample_sum);
      tail(m.timestamp_ms);
      for (const auto& q : m.summary.quantile) {
        head_extra({}, labels, "quantile");
        value(q.quantile);
        buffer_ += "\"} ";
        value(q.value);
        tail(m.timestamp_ms);
      }
      return;
    case MetricType::Histogram:
      histogram(labels, m.histogram, m.timestamp_ms);
      return;
  }
}

void ExpositionWriter::maybe_flush() {
  if (buffer_.size() < chunk_bytes_) return;
  bytes_ += buffer_.size();
  if (ok_) ok_ = sink_(buffer_);
  buffer_.clear();
}

bool ExpositionWriter::finish() {
  header_pending_ = false;
  if (!buffer_.empty()) {
    bytes_ += buffer_.size();
    if (ok_) ok_ = sink_(buffer_);
    buffer_.clear();
  }
  return ok_;
}

}  // namespace faultline

// The Prometheus text exposition format (version 0.0.4), written family by family and sample by
// sample into chunks that go out as they fill, so that a scrape of any size holds one chunk of
// text at a time (prometheus-cpp's TextSerializer builds the whole text first: 96 MB for
// 100,000 targets, from 1.8 million ClientMetric objects).
//
// For the same families it writes what TextSerializer writes, byte for byte, with two
// exceptions that the format asks for: NaN is "NaN" (TextSerializer: "Nan"; both parse as NaN),
// and HELP texts are escaped (a backslash as \\, a newline as \n; TextSerializer writes them
// raw, which breaks the exposition). tests/exposition_writer_test.cpp holds the two outputs
// side by side through Prometheus's own parser.
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

// The inside of a series' braces for `labels`, in the order given: `a="x",b="y"` with the
// values escaped. Empty for no labels.
std::string render_labels(const std::vector<prometheus::ClientMetric::Label>& labels);

// When a family's # HELP and # TYPE lines are written.
enum class FamilyHeader {
  always,             // at once, as TextSerializer does, even for a family without series
  with_first_sample,  // before its first sample: a family without series is left out
};

class ExpositionWriter {
 public:
  // Receives each chunk of text as it fills (and the rest from finish()); returns false when
  // the text can no longer be delivered (the scraper went away), after which the writer drops
  // everything. Called on the writing thread.
  using Sink = std::function<bool(std::string_view)>;

  // Chunks are handed to `sink` once they hold at least `chunk_bytes`.
  ExpositionWriter(Sink sink, std::size_t chunk_bytes);

  // Starts a family. Its samples must follow before the next family starts: the format wants
  // each family in one piece.
  void begin_family(std::string_view name, std::string_view help, prometheus::MetricType type,
                    FamilyHeader header = FamilyHeader::always);

  // One sample of the current family: NAME{LABELS,EXTRA_NAME="EXTRA_VALUE"} VALUE, where
  // `labels` is render_labels() output and the extra label is left out when `extra_name` is
  // empty; braces only when there is a label.
  void sample(std::string_view labels, double value, std::string_view extra_name = {},
              std::string_view extra_value = {});
  // A histogram's series: NAME_count, NAME_sum, then a NAME_bucket per bound, with le="+Inf"
  // added when the last bound is not infinite.
  void histogram(std::string_view labels, const prometheus::ClientMetric::Histogram& h);

  // A whole family from prometheus-cpp, as TextSerializer writes it (timestamps included).
  void family(const prometheus::MetricFamily& family);

  // Hands the rest to the sink. False when the sink refused anything along the way.
  bool finish();
  // False once the sink has refused a chunk: further writing is wasted.
  bool ok() const { return ok_; }
  // The text written so far, in bytes (before any compression the sink applies).
  std::uint64_t bytes() const { return bytes_; }

 private:
  void write_header();
  // NAME SUFFIX{LABELS} and the space before the value (no braces without labels).
  void head(std::string_view suffix, std::string_view labels);
  // NAME SUFFIX{LABELS,EXTRA_NAME=" : the caller writes the value and `"} `.
  void head_extra(std::string_view suffix, std::string_view labels, std::string_view extra_name);
  // The timestamp (when not 0) and the newline; hands a full chunk to the sink.
  void tail(std::int64_t timestamp_ms);
  void value(double v);
  void count(std::uint64_t n);
  void histogram(std::string_view labels, const prometheus::ClientMetric::Histogram& h,
                 std::int64_t timestamp_ms);
  void metric(const prometheus::ClientMetric& m);
  void maybe_flush();

  Sink sink_;
  std::size_t chunk_bytes_;
  std::string buffer_;
  bool ok_ = true;
  std::uint64_t bytes_ = 0;
  // The current family.
  std::string name_, help_;
  prometheus::MetricType type_ = prometheus::MetricType::Untyped;
  bool header_pending_ = false;
};

}  // namespace faultline

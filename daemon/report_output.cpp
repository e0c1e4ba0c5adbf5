#include "daemon/report_output.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string_view>
#include <vector>

#include "checks/utc_time.hpp"
#include "daemon/check_report.hpp"
#include "daemon/report_path.hpp"
#include "daemon/terminal.hpp"

namespace faultline {
namespace {

using json = nlohmann::ordered_json;

enum class Paint { none, ok, warn, bad, dim };

struct Cell {
  std::string text;
  Paint paint = Paint::none;
};

struct Column {
  std::string title;
  bool right = false;  // numbers line up on their last digit
};

// Terminal columns taken by UTF-8 text: one per code point (the block characters are narrow).
std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xc0) != 0x80; }));
}

std::string paint(const Painter& p, Paint how, const std::string& s) {
  switch (how) {
    case Paint::ok:
      return p.ok(s);
    case Paint::warn:
      return p.warn(s);
    case Paint::bad:
      return p.bad(s);
    case Paint::dim:
      return p.dim(s);
    case Paint::none:
      break;
  }
  return s;
}

// Columns two spaces apart, widths from the widest cell; colour codes wrap the text only, so
// they never count towards a width. The last column is not padded (no trailing spaces).
std::string render_table(const std::vector<Column>& columns,
                         const std::vector<std::vector<Cell>>& rows, const Painter& p) {
  std::vector<std::size_t> width(columns.size());
  for (std::size_t i = 0; i < columns.size(); ++i) {
    width[i] = display_width(columns[i].title);
    for (const auto& row : rows)
      width[i] = std::max(width[i], display_width(row[i].text));
  }
  auto line = [&](const std::vector<Cell>& cells, bool heading) {
    std::string out;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const std::string& text = cells[i].text;
      const std::size_t gap = width[i] - display_width(text);
      const bool last = i + 1 == columns.size();
      if (i > 0) out += "  ";
      if (columns[i].right) out.append(gap, ' ');
      out += heading ? p.bold(text) : paint(p, cells[i].paint, text);
      if (!columns[i].right && !last) out.append(gap, ' ');
    }
    while (!out.empty() && out.back() == ' ')
      out.pop_back();
    return out + "\n";
  };
  std::vector<Cell> titles;
  for (const Column& c : columns)
    titles.push_back({c.title});
  std::string out = line(titles, true);
  for (const auto& row : rows)
    out += line(row, false);
  return out;
}

std::string format(const char* fmt, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, value);
  return buf;
}

// "2026-11-27 09:40", UTC.
std::string minute_text(std::int64_t unix_ms) {
  return iso8601_utc(unix_ms / 1000).substr(0, 16).replace(10, 1, " ");
}

// The views' "2026-11-27T09:40:00.000Z" as minute_text() writes it.
std::string minute_text(const std::string& iso) {
  return iso.size() >= 16 ? iso.substr(0, 10) + " " + iso.substr(11, 5) : iso;
}

std::string iso_text(std::int64_t unix_ms) {
  return iso8601_utc(unix_ms / 1000);
}

// The views' "2026-11-27T09:40:00.000Z" as iso_text() writes it, so all times in the JSON look
// alike.
std::string iso_text(const std::string& view_time) {
  if (view_time.size() == 24 && view_time[19] == '.') return view_time.substr(0, 19) + "Z";
  return view_time;
}

Cell uptime_cell(const TargetHistory& t) {
  const auto uptime = t.uptime_percent();
  if (!uptime) return {"-", Paint::dim};
  if (t.ok == t.probes) return {"100%", Paint::ok};
  if (t.ok == 0) return {"0%", Paint::bad};
  std::string text = format("%.3f%%", *uptime);
  // One failure in a million probes is not 100 %.
  if (text == "100.000%") text = "99.999%";
  return {text, *uptime >= 99.0 ? Paint::warn : Paint::bad};
}

std::string ms_text(double ms) {
  return format(ms < 10 ? "%.1f ms" : "%.0f ms", ms);
}

std::vector<std::optional<std::int64_t>> failure_slots(const TargetHistory& t) {
  std::vector<std::optional<std::int64_t>> slots;
  for (std::size_t i = 0; i < t.failures_by_bucket.size(); ++i) {
    if (t.probes_by_bucket[i] > 0) {
      slots.emplace_back(t.failures_by_bucket[i]);
    } else {
      slots.emplace_back(std::nullopt);
    }
  }
  return slots;
}

double bucket_seconds(const HistoryWindow& w) {
  return static_cast<double>(w.to_ms - w.from_ms) / 1000.0 / w.buckets;
}

double outage_seconds(const OutageRecord& o, std::int64_t now_ms) {
  return static_cast<double>(o.ended_ms.value_or(now_ms) - o.started_ms) / 1000.0;
}

// A report over several sources names, on each row, the instance whose file holds it.
bool several_sources(const HistoryReport& r) {
  return r.sources.size() > 1;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Puts the instance column after TARGET in every row, when there is more than one source.
void add_instance_column(const HistoryReport& r, const std::string& title,
                         std::vector<Column>& columns, std::vector<std::vector<Cell>>& rows,
                         const std::vector<std::string>& instances) {
  if (!several_sources(r)) return;
  columns.insert(columns.begin() + 1, Column{title});
  for (std::size_t i = 0; i < rows.size(); ++i)
    rows[i].insert(rows[i].begin() + 1, Cell{instances[i]});
}

// "3 histories: eu-west (/var/lib/a.db), /var/lib/b.db".
std::string sources_heading(const HistoryReport& r) {
  std::vector<std::string> names;
  for (const HistorySourceStatus& s : r.sources)
    names.push_back(s.instance == s.path ? s.path : s.instance + " (" + s.path + ")");
  return std::to_string(r.sources.size()) + " histories: " + joined(names);
}

std::string targets_section(const HistoryReport& r, const Painter& p, Charset charset) {
  std::vector<Column> columns = {
      {"TARGET"},       {"UPTIME", true},
      {"PROBES", true}, {"FAILED", true},
      {"SLOW", true},  // ok, but slower than degraded_after
      {"AVG", true},    {"OUTAGES", true},
      {"DOWN", true},   {"FAILURES PER " + human_duration(bucket_seconds(r.window))}};
  std::vector<std::vector<Cell>> rows;
  for (const TargetHistory& t : r.targets) {
    const auto slots = failure_slots(t);
    rows.push_back({
        {t.name},
        uptime_cell(t),
        {std::to_string(t.probes)},
        {std::to_string(t.failures), t.failures > 0 ? Paint::bad : Paint::none},
        {std::to_string(t.slow), t.slow > 0 ? Paint::bad : Paint::none},
        {t.avg_total_ms ? ms_text(*t.avg_total_ms) : "-"},
        {std::to_string(t.outages), t.outages > 0 ? Paint::bad : Paint::none},
        {t.down_s > 0 ? human_duration(t.down_s) : "-", t.down_s > 0 ? Paint::bad : Paint::none},
        {sparkline(slots, charset), t.failures > 0 ? Paint::bad : Paint::dim},
    });
  }
  std::vector<std::string> instances;
  for (const TargetHistory& t : r.targets)
    instances.push_back(joined(t.instances));
  add_instance_column(r, "INSTANCES", columns, rows, instances);
  return render_table(columns, rows, p);
}

std::string failures_section(const HistoryReport& r, const Painter& p) {
  if (r.failures.empty()) return p.dim("No failures.") + "\n";
  std::vector<Column> columns = {{"TARGET"}, {"CLASS"},       {"PHASE"},
                                 {"DETAIL"}, {"COUNT", true}, {"LAST"}};
  std::vector<std::vector<Cell>> rows;
  for (const FailureCount& f : r.failures) {
    rows.push_back({{f.target},
                    {f.cls, f.cls == "local" ? Paint::dim : Paint::bad},
                    {f.phase},
                    {f.detail},
                    {std::to_string(f.count)},
                    {minute_text(f.last_ms)}});
  }
  std::vector<std::string> instances;
  for (const FailureCount& f : r.failures)
    instances.push_back(joined(f.instances));
  add_instance_column(r, "INSTANCES", columns, rows, instances);
  return render_table(columns, rows, p);
}

// When and how an outage ended: a time, "ongoing", or, when faultline stopped during it, the
// last probe it made: nothing after that was seen.
Cell ended_cell(const OutageRecord& o, Charset charset) {
  if (!o.ended_ms) return {"ongoing", Paint::bad};
  if (o.ended_by == "faultline_stopped") {
    const char* dash = charset == Charset::unicode ? " \u2014 " : " - ";
    return {"unknown since " + minute_text(*o.ended_ms) + dash + "faultline stopped", Paint::warn};
  }
  return {minute_text(*o.ended_ms)};
}

std::string outages_section(const HistoryReport& r, const Painter& p, Charset charset) {
  if (r.outages.empty()) return p.dim("No outages.") + "\n";
  std::vector<Column> columns = {{"TARGET"}, {"STARTED"}, {"ENDED"},  {"DURATION", true},
                                 {"CLASS"},  {"PHASE"},   {"DETAIL"}, {"MESSAGE"}};
  std::vector<std::vector<Cell>> rows;
  for (const OutageRecord& o : r.outages) {
    rows.push_back({{o.target},
                    {minute_text(o.started_ms)},
                    ended_cell(o, charset),
                    {human_duration(outage_seconds(o, r.window.to_ms))},
                    {o.cls, Paint::bad},
                    {o.phase},
                    {o.detail},
                    {o.message}});
  }
  std::vector<std::string> instances;
  for (const OutageRecord& o : r.outages)
    instances.push_back(o.instance);
  add_instance_column(r, "INSTANCE", columns, rows, instances);
  return render_table(columns, rows, p);
}

// "3 experiments", "1 experiment, 40 probe observations", "12 probe observations".
std::string evidence_text(const IdleFindingRecord& f) {
  auto counted = [](std::int64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  std::string out;
  if (f.experiments > 0 || f.probe_observations == 0) {
    out = counted(f.experiments, "experiment", "experiments");
  }
  if (f.probe_observations > 0) {
    if (!out.empty()) out += ", ";
    out += counted(f.probe_observations, "probe observation", "probe observations");
  }
  return out;
}

// "web", or "web (eu-west)" over several sources.
std::string idle_name(const HistoryReport& r, const IdleFindingRecord& f) {
  return several_sources(r) ? f.target + " (" + f.instance + ")" : f.target;
}

std::string idle_section(const HistoryReport& r, const Painter& p) {
  std::size_t width = 0;
  for (const IdleFindingRecord& f : r.idle_findings)
    width = std::max(width, display_width(idle_name(r, f)));
  std::string out;
  for (const IdleFindingRecord& f : r.idle_findings) {
    const bool bad = f.kind == "middlebox_reset" || f.kind == "server_reset";
    const std::string indent(width + 2, ' ');
    const std::string name = idle_name(r, f);
    out += p.bold(name) + std::string(width - display_width(name) + 2, ' ') +
           (bad                ? p.bad(f.kind)
            : f.kind == "none" ? p.ok(f.kind)
                               : p.warn(f.kind)) +
           p.dim(", last confirmed " + minute_text(f.last_confirmed) + " (" + evidence_text(f) +
                 " since " + minute_text(f.first_seen) + ")") +
           "\n";
    out += indent + f.summary + "\n";
    if (!f.advice.empty()) out += indent + p.bold("What to do:") + " " + f.advice + "\n";
  }
  return out;
}

// Over several sources: the instance of each row, and what was read from each source.
void add_instances_json(const HistoryReport& r, json& out) {
  for (std::size_t i = 0; i < r.targets.size(); ++i)
    out["targets"][i]["instances"] = r.targets[i].instances;
  for (std::size_t i = 0; i < r.failures.size(); ++i)
    out["failures"][i]["instances"] = r.failures[i].instances;
  for (std::size_t i = 0; i < r.outages.size(); ++i)
    out["outages"][i]["instance"] = r.outages[i].instance;
  for (std::size_t i = 0; i < r.idle_findings.size(); ++i)
    out["idle_findings"][i]["instance"] = r.idle_findings[i].instance;
  json sources = json::array();
  for (const HistorySourceStatus& s : r.sources) {
    sources.push_back(
        {{"instance", s.instance},
         {"database", s.path},
         {"schema_version", s.schema_version},
         {"faultline_running", s.faultline_running ? json(*s.faultline_running) : json(nullptr)}});
  }
  out["sources"] = std::move(sources);
}

}  // namespace

std::string human_duration(double seconds) {
  auto total = static_cast<long long>(seconds < 0 ? 0 : seconds);
  struct Unit {
    long long seconds;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{86'400, "d"}, {3'600, "h"}, {60, "m"}, {1, "s"}};
  std::string out;
  int used = 0;
  for (const Unit& u : kUnits) {
    const long long n = total / u.seconds;
    if (n == 0 && used == 0) continue;
    total -= n * u.seconds;
    if (n > 0) out += (out.empty() ? "" : " ") + std::to_string(n) + u.name;
    if (++used == 2) break;
  }
  return out.empty() ? "0s" : out;
}

std::string render_report_text(const HistoryReport& r, const ReportSource& source, bool color,
                               Charset charset) {
  const Painter p(color);
  const std::string arrow = charset == Charset::unicode ? "\u2192" : "to";
  std::string out = p.bold("faultline report") + "  " +
                    (several_sources(r) ? sources_heading(r) : source.database) + "\n";
  out += "Last " + source.since + ": " + minute_text(r.window.from_ms) + " " + arrow + " " +
         minute_text(r.window.to_ms) + " UTC, " + std::to_string(r.targets.size()) +
         (r.targets.size() == 1 ? " target" : " targets") + "\n";
  if (r.targets.empty()) {
    return out + "\n" + p.dim("No target was monitored in this period.") + "\n";
  }
  out += "\n" + targets_section(r, p, charset);
  out += "\n" + p.bold("Failures by class and phase") + "\n" + failures_section(r, p);
  out += "\n" + p.bold("Outages") + "\n" + outages_section(r, p, charset);
  if (!r.idle_findings.empty()) {
    out += "\n" + p.bold("Idle-connection findings") + "\n" + idle_section(r, p);
  }
  if (!r.path_traces.empty()) {
    out +=
        "\n" + p.bold("Path traces (the latest of each target)") + "\n" + path_traces_section(r, p);
  }
  return out;
}

json report_json(const HistoryReport& r, const ReportSource& source) {
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  auto text_or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  json out;
  out["database"] = several_sources(r) ? json(nullptr) : json(source.database);
  out["schema_version"] = r.schema_version;
  out["faultline_running"] = r.faultline_running ? json(*r.faultline_running) : json(nullptr);
  out["window"] = {{"from", iso_text(r.window.from_ms)},
                   {"to", iso_text(r.window.to_ms)},
                   {"seconds", static_cast<double>(r.window.to_ms - r.window.from_ms) / 1000.0},
                   {"buckets", r.window.buckets},
                   {"bucket_seconds", bucket_seconds(r.window)}};
  json targets = json::array();
  for (const TargetHistory& t : r.targets) {
    targets.push_back({{"target", t.name},
                       {"url", t.url},
                       {"kind", t.kind},
                       {"probes", t.probes},
                       {"ok", t.ok},
                       {"failures", t.failures},
                       {"slow", t.slow},
                       {"uptime_percent", opt(t.uptime_percent())},
                       {"avg_total_ms", opt(t.avg_total_ms)},
                       {"outages", t.outages},
                       {"down_s", t.down_s},
                       {"probes_by_bucket", t.probes_by_bucket},
                       {"failures_by_bucket", t.failures_by_bucket}});
  }
  out["targets"] = std::move(targets);
  json failures = json::array();
  for (const FailureCount& f : r.failures) {
    failures.push_back({{"target", f.target},
                        {"class", f.cls},
                        {"phase", f.phase},
                        {"detail", text_or_null(f.detail)},
                        {"count", f.count},
                        {"last", iso_text(f.last_ms)}});
  }
  out["failures"] = std::move(failures);
  json outages = json::array();
  for (const OutageRecord& o : r.outages) {
    outages.push_back({{"target", o.target},
                       {"started", iso_text(o.started_ms)},
                       {"ended", o.ended_ms ? json(iso_text(*o.ended_ms)) : json(nullptr)},
                       {"ended_by", text_or_null(o.ended_by)},
                       {"duration_s", outage_seconds(o, r.window.to_ms)},
                       {"ongoing", !o.ended_ms.has_value()},
                       {"class", o.cls},
                       {"phase", o.phase},
                       {"detail", text_or_null(o.detail)},
                       {"message", o.message}});
  }
  out["outages"] = std::move(outages);
  json idle = json::array();
  for (const IdleFindingRecord& f : r.idle_findings) {
    idle.push_back({{"target", f.target},
                    {"kind", f.kind},
                    {"threshold_low_s", f.threshold_low_s},
                    {"threshold_high_s", opt(f.threshold_high_s)},
                    {"keepalive_verified", f.keepalive_verified},
                    {"keepalive_interval_s", opt(f.keepalive_interval_s)},
                    {"first_seen", iso_text(f.first_seen)},
                    {"last_confirmed", iso_text(f.last_confirmed)},
                    {"experiments", f.experiments},
                    {"probe_observations", f.probe_observations},
                    {"summary", f.summary},
                    {"advice", f.advice}});
  }
  out["idle_findings"] = std::move(idle);
  out["path_traces"] = path_traces_json(r);
  if (several_sources(r)) add_instances_json(r, out);
  return out;
}

}  // namespace faultline

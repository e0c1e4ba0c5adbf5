#include "daemon/config_target_slices.hpp"

namespace faultline {
namespace {

// One line of the file, without its '\n' (a '\r' before it is kept: YAML reads CRLF too).
struct Line {
  std::size_t begin = 0;
  std::string_view text;
};

std::size_t indent_of(std::string_view text) {
  std::size_t n = 0;
  while (n < text.size() && text[n] == ' ')
    ++n;
  return n;
}

// Nothing but spaces, or a comment: belongs to whatever surrounds it.
bool is_filler(std::string_view text) {
  const std::size_t i = indent_of(text);
  return i == text.size() || text[i] == '#' || text.substr(i) == "\r";
}

// `- ` or a lone `-` at `col`: an item of a block list.
bool is_item_at(std::string_view text, std::size_t col) {
  if (text.size() <= col || text[col] != '-') return false;
  const std::string_view after = text.substr(col + 1);
  return after.empty() || after[0] == ' ' || after == "\r";
}

// `targets:` at column 0 with nothing after it but spaces and a comment.
bool is_targets_key(std::string_view text) {
  constexpr std::string_view kKey = "targets:";
  if (!text.starts_with(kKey)) return false;
  const std::string_view rest = text.substr(kKey.size());
  if (rest.empty()) return true;
  return (rest[0] == ' ' || rest[0] == '\r') && is_filler(rest);
}

class LineCursor {
 public:
  explicit LineCursor(std::string_view yaml) : yaml_(yaml) {}
  bool next(Line& line) {
    if (pos_ >= yaml_.size()) return false;
    std::size_t eol = yaml_.find('\n', pos_);
    if (eol == std::string_view::npos) eol = yaml_.size();
    line = {pos_, yaml_.substr(pos_, eol - pos_)};
    pos_ = eol + 1;
    ++number_;
    return true;
  }
  int number() const { return number_ - 1; }  // 0-based, of the line last returned

 private:
  std::string_view yaml_;
  std::size_t pos_ = 0;
  int number_ = 0;
};

// Where an item's content starts: the first character after its '-', or npos for a lone '-'
// (its next line says).
std::size_t content_column(std::string_view text, std::size_t dash) {
  const std::size_t i = dash + 1 + indent_of(text.substr(dash + 1));
  return i < text.size() && text[i] != '\r' && text[i] != '#' ? i : std::string_view::npos;
}

// How one line of the list's region reads, given the items' column and the current item's
// content column (npos: not known yet).
enum class LineRole { filler, item, continuation, end, unsure };

LineRole role_of(std::string_view text, std::size_t col, std::size_t& content_col) {
  if (is_filler(text)) return LineRole::filler;
  const std::size_t indent = indent_of(text);
  if (text[indent] == '\t') return LineRole::unsure;  // YAML forbids tabs as indentation
  if (indent == col && is_item_at(text, col)) {
    content_col = content_column(text, col);
    return LineRole::item;
  }
  if (indent > col && content_col == std::string_view::npos) content_col = indent;
  // Deeper than the item's content: part of it. Between the dash and the content, YAML's
  // reading depends on what holds the item, which a slice does not have.
  if (indent >= content_col && indent > col) return LineRole::continuation;
  if (indent == 0) return LineRole::end;  // the next top-level key, '---' or '...'
  return LineRole::unsure;
}

// The file with bytes [from, to) reduced to their line breaks.
std::string skeleton_of(std::string_view yaml, std::size_t from, std::size_t to) {
  std::string out;
  out.reserve(yaml.size() - (to - from));
  out.append(yaml.substr(0, from));
  for (std::size_t i = from; i < to; ++i) {
    if (yaml[i] == '\n') out.push_back('\n');
  }
  out.append(yaml.substr(to));
  return out;
}

}  // namespace

std::optional<TargetSlices> slice_targets(std::string_view yaml) {
  LineCursor cursor(yaml);
  Line line;
  bool found = false;
  while (!found && cursor.next(line))
    found = is_targets_key(line.text);
  if (!found) return std::nullopt;
  std::size_t region_begin = yaml.size();
  std::size_t col = 0;
  while (cursor.next(line)) {
    if (is_filler(line.text)) continue;
    col = indent_of(line.text);
    if (!is_item_at(line.text, col)) return std::nullopt;
    region_begin = line.begin;
    break;
  }
  if (region_begin == yaml.size()) return std::nullopt;

  TargetSlices out;
  out.items.push_back({line.begin, yaml.size(), cursor.number(), col});
  std::size_t content_col = content_column(line.text, col);
  std::size_t region_end = yaml.size();
  while (cursor.next(line)) {
    const LineRole role = role_of(line.text, col, content_col);
    if (role == LineRole::unsure) return std::nullopt;
    if (role == LineRole::end) {
      region_end = line.begin;
      break;
    }
    if (role == LineRole::item) {
      out.items.back().end = line.begin;
      out.items.push_back({line.begin, yaml.size(), cursor.number(), col});
    }
  }
  out.items.back().end = region_end;
  out.skeleton = skeleton_of(yaml, region_begin, region_end);
  return out;
}

std::string slice_text(std::string_view yaml, const TargetSlice& slice) {
  std::string text(yaml.substr(slice.begin, slice.end - slice.begin));
  text[slice.dash] = ' ';
  return text;
}

}  // namespace faultline

// A config's `targets:` list cut into one piece of text per target, so that a large config is
// read one target's YAML tree at a time: yaml-cpp's tree of a whole file costs about forty
// times the text (480 MB for 100,000 targets), a target's tree a few kilobytes.
//
// Only the plain block form is cut: `targets:` alone on a line at column 0, then items
// written `- ...` at one indentation, each item's other lines indented deeper. Anything else
// (a flow list, tabs, an odd indentation, no items) is left to a parse of the whole document,
// and so is any slice that does not parse on its own (an alias to an anchor outside its item,
// a multi-line string cut in two): the caller falls back, so a cut never changes what a config
// means or what its errors say.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

// One item of the list: bytes [begin, end) of the file, starting at the beginning of the line
// that holds its '-' (0-based `line`, at column `dash`).
struct TargetSlice {
  std::size_t begin = 0;
  std::size_t end = 0;
  int line = 0;
  std::size_t dash = 0;
};

struct TargetSlices {
  std::string skeleton;  // the file with the items' lines emptied: `targets:` reads as nothing
  std::vector<TargetSlice> items;
};

// The list's items and the rest of the file, or nullopt when the list is not in the plain
// block form or has no items.
std::optional<TargetSlices> slice_targets(std::string_view yaml);

// The item's text with its '-' blanked: one mapping whose lines and columns are the file's
// once shifted down by `slice.line` lines.
std::string slice_text(std::string_view yaml, const TargetSlice& slice);

}  // namespace faultline

// Suggestions for misspelt words: config keys, log levels, commands.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace faultline {

// " (did you mean 'interval'?)" for the candidate closest to `word` by edit distance, when one
// is close enough to be a likely typo (a third of the word's length, 1 to 3 edits); else "".
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace faultline

// The configured targets, each one's settings held once and shared. A reload that reads a
// target again with the same settings keeps the running object instead of a second copy: at
// 100,000 targets the copies (about 1.2 KB each) would double what a reload needs beside the
// running daemon (issue 21).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemon/target_config.hpp"

namespace faultline {

using SharedTargetConfig = std::shared_ptr<const TargetConfig>;

// The running targets a reload may reuse, by name: the keys view the names inside the values.
using ReusableTargets = std::unordered_map<std::string_view, SharedTargetConfig>;

// Read like a vector of TargetConfig (index, iterate: the settings are never changed once
// read); built from values, or from shared settings a reload reuses.
class TargetList {
 public:
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = TargetConfig;
    using difference_type = std::ptrdiff_t;
    using pointer = const TargetConfig*;
    using reference = const TargetConfig&;

    const_iterator() = default;
    explicit const_iterator(std::vector<SharedTargetConfig>::const_iterator at) : at_(at) {}
    reference operator*() const { return **at_; }
    pointer operator->() const { return at_->get(); }
    const_iterator& operator++() {
      ++at_;
      return *this;
    }
    const_iterator operator++(int) { return const_iterator(at_++); }
    bool operator==(const const_iterator&) const = default;

   private:
    std::vector<SharedTargetConfig>::const_iterator at_;
  };

  TargetList() = default;
  // From values, as tests and callers that build targets one by one have them.
  TargetList(std::vector<TargetConfig> targets);  // NOLINT(google-explicit-constructor)
  TargetList(std::initializer_list<TargetConfig> targets)
      : TargetList(std::vector<TargetConfig>(targets)) {}

  void push_back(TargetConfig target) {
    items_.push_back(std::make_shared<const TargetConfig>(std::move(target)));
  }
  void push_back(SharedTargetConfig target) { items_.push_back(std::move(target)); }

  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const TargetConfig& operator[](std::size_t i) const { return *items_[i]; }
  const_iterator begin() const { return const_iterator(items_.begin()); }
  const_iterator end() const { return const_iterator(items_.end()); }

  const SharedTargetConfig& shared(std::size_t i) const { return items_[i]; }
  // Keeps the targets `keep` says yes to, in order.
  template <class Pred>
  void keep_if(Pred keep) {
    std::erase_if(items_, [&](const SharedTargetConfig& t) { return !keep(*t); });
  }
  // Empties the list into its shared settings, so that a consumer can let each go as soon as
  // it is done with it.
  std::vector<SharedTargetConfig> release() && { return std::move(items_); }

 private:
  std::vector<SharedTargetConfig> items_;
};

inline TargetList::TargetList(std::vector<TargetConfig> targets) {
  items_.reserve(targets.size());
  for (TargetConfig& t : targets)
    push_back(std::move(t));
}

}  // namespace faultline

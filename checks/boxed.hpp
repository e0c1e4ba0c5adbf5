// An optional value kept on the heap: what std::optional<T> is to read and compare, in the
// space of one pointer while it is absent. ProbeSpec holds its rarely-set options this way (a
// proxy, body patterns, credentials): inline, they were half of its 1 KB, paid by every one of
// 100,000 targets whether it used them or not (issue 21).
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace faultline {

template <class T>
class Boxed {
 public:
  Boxed() = default;
  Boxed(std::nullopt_t) {}  // NOLINT(google-explicit-constructor)
  Boxed(T value)
      : value_(std::make_unique<T>(std::move(value))) {}  // NOLINT(google-explicit-constructor)
  Boxed(std::optional<T> value) {                         // NOLINT(google-explicit-constructor)
    if (value) value_ = std::make_unique<T>(std::move(*value));
  }
  Boxed(const Boxed& other) : value_(other.value_ ? std::make_unique<T>(*other.value_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& other) {
    if (this != &other) value_ = other.value_ ? std::make_unique<T>(*other.value_) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  // `box = "text"` as with std::optional<std::string>.
  template <class U>
  requires(!std::is_same_v<std::decay_t<U>, Boxed> && std::is_constructible_v<T, U&&>) Boxed&
  operator=(U&& value) {
    value_ = std::make_unique<T>(std::forward<U>(value));
    return *this;
  }
  ~Boxed() = default;

  template <class... Args>
  T& emplace(Args&&... args) {
    value_ = std::make_unique<T>(std::forward<Args>(args)...);
    return *value_;
  }
  void reset() { value_.reset(); }

  bool has_value() const { return value_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return value_.get(); }
  const T* operator->() const { return value_.get(); }
  const T& value() const {
    if (!value_) throw std::bad_optional_access();
    return *value_;
  }
  // As std::optional: a copy of the value, or nullopt.
  std::optional<T> optional() const { return value_ ? std::optional<T>(*value_) : std::nullopt; }

  // By value, as std::optional compares.
  friend bool operator==(const Boxed& a, const Boxed& b) {
    return a.value_ ? (b.value_ && *a.value_ == *b.value_) : !b.value_;
  }
  // With a value, as std::optional: equal when present and equal.
  template <class U>
  requires(!std::is_same_v<U, Boxed> && !std::is_same_v<U, std::nullopt_t>) friend bool operator==(
      const Boxed& a, const U& value) {
    return a.value_ && *a.value_ == value;
  }
  friend bool operator==(const Boxed& a, std::nullopt_t) { return !a.value_; }

 private:
  std::unique_ptr<T> value_;
};

}  // namespace faultline

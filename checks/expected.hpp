// A small value-or-error type: the C++20 stand-in for std::expected, used wherever a failure is
// an expected outcome (bad input, a refused connection) rather than a bug.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace faultline {

// Wraps an error value so that Expected<std::string> can still be built from either side.
template <class E>
struct Unexpected {
  E error;
};

inline Unexpected<std::string> unexpected(std::string message) {
  return {std::move(message)};
}

template <class T, class E = std::string>
class Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}            // NOLINT: implicit
  Expected(Unexpected<E> e) : v_(std::in_place_index<1>, std::move(e.error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  // Precondition: has_value().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Precondition: !has_value().
  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

}  // namespace faultline

// Result and Error: how River reports failure.
//
// Everything that can fail returns `Result<T>`: either a value or an `Error`. An error records
// what went wrong (`kind`), which side is at fault (`side`), whether repeating the operation is
// safe (`retryable`) and a short human-readable `context`. Callers decide what to do (retry,
// answer 502/504, close) from kind and side, never from the context text.
//
// Nothing on the data path throws; exceptions from libraries are turned into `Error` at the
// module boundary that calls them.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "base/check.h"

namespace river {

enum class ErrorKind {
  // Network and timing.
  ConnectRefused,
  TlsHandshake,
  ConnectTimeout,
  ReadTimeout,
  WriteTimeout,
  ConnectionClosed,
  ConnectionReset,
  Io,
  // Protocol.
  InvalidMessage,
  TooLarge,
  Unsupported,
  // WASM plugins: the guest trapped (or a host function failed it), or it ran past its
  // CPU-time budget and was stopped.
  PluginTrap,
  PluginTimeout,
  // Everything else.
  Config,
  Internal,
};

/// Which party caused the error.
enum class Side { Downstream, Upstream, Internal, Config };

/// Returns a stable lower-case name for `kind`, used in logs (`error=connect_timeout`).
const char* to_string(ErrorKind kind);

struct [[nodiscard]] Error {
  ErrorKind kind = ErrorKind::Internal;
  Side side = Side::Internal;
  bool retryable = false;
  std::string context;
};

/// Holds a `T` or an `Error`. Accessing the wrong alternative aborts (RIVER_CHECK).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    RIVER_CHECK(has_value());
    return std::get<0>(storage_);
  }
  const T& value() const& {
    RIVER_CHECK(has_value());
    return std::get<0>(storage_);
  }
  T&& value() && {
    RIVER_CHECK(has_value());
    return std::get<0>(std::move(storage_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    RIVER_CHECK(!has_value());
    return std::get<1>(storage_);
  }

 private:
  std::variant<T, Error> storage_;
};

/// `Result<void>`: success carries no value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  const Error& error() const {
    RIVER_CHECK(failed_);
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace river

// Buffer: a growable byte buffer for reading from a socket and parsing in place.
//
// Bytes are appended at the back (`prepare` + `commit`) and consumed from the front
// (`consume`). All pointer arithmetic on connection buffers stays in this class. Views
// returned by `readable()` stay valid until the next `prepare`, which may move the bytes.
// Memory is taken on first use and can be given back while empty (`release_storage`).
#pragma once

#include <cstddef>
#include <algorithm>
#include <cstring>
#include <memory>
#include <span>
#include <utility>
#include <string_view>

#include "base/check.h"

namespace river::net {

namespace detail {
/// A per-thread cache of buffer blocks, so that a connection taking a read buffer for each
/// request and giving it back while idle costs no malloc. Returns nullptr when empty.
std::unique_ptr<char[]> take_block(std::size_t size);
/// Keeps `block` (of `size` bytes) for reuse on this thread, or frees it.
void give_block(std::unique_ptr<char[]> block, std::size_t size);
}  // namespace detail

class Buffer {
 public:
  /// No memory is taken until the first `prepare`; then at least `initial_capacity`.
  explicit Buffer(std::size_t initial_capacity = 16 * 1024) : initial_capacity_(initial_capacity) {}

  Buffer(Buffer&& other) noexcept
      : storage_(std::move(other.storage_)),
        capacity_(std::exchange(other.capacity_, 0)),
        initial_capacity_(other.initial_capacity_),
        begin_(std::exchange(other.begin_, 0)),
        end_(std::exchange(other.end_, 0)) {}
  Buffer& operator=(Buffer&& other) noexcept {
    if (this != &other) {
      give_back();
      storage_ = std::move(other.storage_);
      capacity_ = std::exchange(other.capacity_, 0);
      initial_capacity_ = other.initial_capacity_;
      begin_ = std::exchange(other.begin_, 0);
      end_ = std::exchange(other.end_, 0);
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { give_back(); }

  /// The bytes received and not yet consumed.
  std::string_view readable() const {
    return {storage_.get() + begin_, end_ - begin_};
  }
  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  std::size_t capacity() const { return capacity_; }

  /// Returns writable space of at least `min_bytes` at the back, compacting or growing
  /// the storage. Invalidates views from `readable()`.
  std::span<char> prepare(std::size_t min_bytes = 4096) {
    if (capacity_ - end_ < min_bytes) {
      compact();
    }
    if (capacity_ - end_ < min_bytes) {
      grow(std::max(end_ + min_bytes, std::max(initial_capacity_, capacity_ * 2)));
    }
    return {storage_.get() + end_, capacity_ - end_};
  }

  /// Marks `n` bytes written into the span from `prepare` as readable.
  void commit(std::size_t n) {
    RIVER_CHECK(n <= capacity_ - end_);
    end_ += n;
  }

  /// Drops `n` bytes from the front. The bytes stay where they are until the next
  /// `prepare`, so a view taken just before stays valid until then.
  void consume(std::size_t n) {
    RIVER_CHECK(n <= size());
    begin_ += n;
    if (begin_ == end_) {
      begin_ = end_ = 0;
    }
  }

  void clear() { begin_ = end_ = 0; }

  /// Gives the memory back while the buffer is empty, so an idle connection holds none.
  void release_storage() {
    if (empty()) {
      give_back();
    }
  }

 private:
  void give_back() {
    if (storage_) {
      detail::give_block(std::move(storage_), capacity_);
    }
    capacity_ = 0;
    begin_ = end_ = 0;
  }

  void compact() {
    if (begin_ == 0) {
      return;
    }
    const std::size_t n = size();
    std::memmove(storage_.get(), storage_.get() + begin_, n);
    begin_ = 0;
    end_ = n;
  }

  void grow(std::size_t capacity) {
    std::unique_ptr<char[]> bigger;
    if (capacity_ == 0 && capacity == initial_capacity_) {
      bigger = detail::take_block(capacity);
    }
    if (!bigger) {
      // Uninitialised on purpose: every byte is written by a read before it is readable.
      bigger = std::make_unique_for_overwrite<char[]>(capacity);
    }
    if (size() > 0) {
      std::memcpy(bigger.get(), storage_.get() + begin_, size());
    }
    end_ = size();
    begin_ = 0;
    if (storage_) {
      detail::give_block(std::move(storage_), capacity_);
    }
    storage_ = std::move(bigger);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> storage_;
  std::size_t capacity_ = 0;
  std::size_t initial_capacity_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace river::net

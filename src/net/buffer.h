// Buffer: a growable byte buffer for reading from a socket and parsing in place.
//
// Bytes are appended at the back (`prepare` + `commit`) and consumed from the front
// (`consume`). All pointer arithmetic on connection buffers stays in this class. Views
// returned by `readable()` stay valid until the next `prepare`, which may move the bytes.
#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "base/check.h"

namespace river::net {

class Buffer {
 public:
  explicit Buffer(std::size_t initial_capacity = 16 * 1024) : storage_(initial_capacity) {}

  /// The bytes received and not yet consumed.
  std::string_view readable() const {
    return {storage_.data() + begin_, end_ - begin_};
  }
  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }

  /// Returns writable space of at least `min_bytes` at the back, compacting or growing
  /// the storage. Invalidates views from `readable()`.
  std::span<char> prepare(std::size_t min_bytes = 4096) {
    if (storage_.size() - end_ < min_bytes) {
      compact();
    }
    if (storage_.size() - end_ < min_bytes) {
      storage_.resize(end_ + min_bytes);
    }
    return {storage_.data() + end_, storage_.size() - end_};
  }

  /// Marks `n` bytes written into the span from `prepare` as readable.
  void commit(std::size_t n) {
    RIVER_CHECK(n <= storage_.size() - end_);
    end_ += n;
  }

  /// Drops `n` bytes from the front.
  void consume(std::size_t n) {
    RIVER_CHECK(n <= size());
    begin_ += n;
    if (begin_ == end_) {
      begin_ = end_ = 0;
    }
  }

  void clear() { begin_ = end_ = 0; }

  /// Frees memory beyond the initial capacity once the buffer is empty, so a connection that
  /// once received a large head does not keep a large buffer while idle.
  void shrink(std::size_t capacity) {
    if (empty() && storage_.size() > capacity) {
      storage_.resize(capacity);
      storage_.shrink_to_fit();
    }
  }

 private:
  void compact() {
    if (begin_ == 0) {
      return;
    }
    const std::size_t n = size();
    std::memmove(storage_.data(), storage_.data() + begin_, n);
    begin_ = 0;
    end_ = n;
  }

  std::vector<char> storage_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace river::net

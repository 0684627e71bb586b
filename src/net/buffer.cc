#include "net/buffer.h"

#include <array>
#include <vector>

namespace river::net::detail {
namespace {

// Blocks of these sizes are what connections use (client reads, upstream reads); other
// sizes are rare and simply freed. A few per thread cover the requests in flight on a
// worker at once; beyond that memory goes back to the allocator.
constexpr std::array<std::size_t, 2> kCachedSizes = {16 * 1024, 64 * 1024};
constexpr std::size_t kMaxCachedPerSize = 64;

struct Cache {
  std::array<std::vector<std::unique_ptr<char[]>>, kCachedSizes.size()> blocks;
};

Cache& cache() {
  thread_local Cache instance;
  return instance;
}

int slot_for(std::size_t size) {
  for (std::size_t i = 0; i < kCachedSizes.size(); ++i) {
    if (kCachedSizes[i] == size) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace

std::unique_ptr<char[]> take_block(std::size_t size) {
  const int slot = slot_for(size);
  if (slot < 0) {
    return nullptr;
  }
  auto& list = cache().blocks[static_cast<std::size_t>(slot)];
  if (list.empty()) {
    return nullptr;
  }
  auto block = std::move(list.back());
  list.pop_back();
  return block;
}

void give_block(std::unique_ptr<char[]> block, std::size_t size) {
  const int slot = slot_for(size);
  if (slot < 0) {
    return;  // freed here
  }
  auto& list = cache().blocks[static_cast<std::size_t>(slot)];
  if (list.size() < kMaxCachedPerSize) {
    list.push_back(std::move(block));
  }
}

}  // namespace river::net::detail

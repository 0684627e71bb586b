#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace river::detail {

void check_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "river: check failed: %s at %s:%d\n", condition, file, line);
  std::abort();
}

}  // namespace river::detail

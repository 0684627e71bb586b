// Assertions.
//
// RIVER_CHECK(cond) is always on and aborts with the location: use it only where going on
// would corrupt memory or state. RIVER_ASSERT(cond) documents an invariant and is checked
// in debug builds only. Neither may be used on anything a peer or a config file controls.
#pragma once

namespace river::detail {
[[noreturn]] void check_failed(const char* condition, const char* file, int line);
}

#define RIVER_CHECK(condition)                                        \
  do {                                                                \
    if (!(condition)) [[unlikely]] {                                  \
      ::river::detail::check_failed(#condition, __FILE__, __LINE__);  \
    }                                                                 \
  } while (false)

#ifdef NDEBUG
#define RIVER_ASSERT(condition) \
  do {                          \
  } while (false)
#else
#define RIVER_ASSERT(condition) RIVER_CHECK(condition)
#endif

/* Example plugin that fails on purpose: proxy_on_request_headers executes `unreachable`, and
 * river_test_oob reads far outside linear memory. Used to check fault isolation. */
#include <stdint.h>
#include <stdlib.h>

#include "proxy_wasm.h"

RIVER_EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}

RIVER_EXPORT(proxy_on_memory_allocate) void* proxy_on_memory_allocate(size_t size) {
  return malloc(size);
}

static int calls;

RIVER_EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t num_headers, uint32_t end_of_stream) {
  (void)context_id;
  (void)num_headers;
  (void)end_of_stream;
  ++calls;
  __builtin_trap();
}

/* How many times proxy_on_request_headers was entered in this instance. */
RIVER_EXPORT(river_test_calls) int32_t river_test_calls(void) { return calls; }

RIVER_EXPORT(river_test_oob) int32_t river_test_oob(void) {
  volatile int32_t* far = (volatile int32_t*)(uintptr_t)0xfffffff0u;
  return *far;
}

/* Passes proxy_log a message that lies outside linear memory; the host must answer
 * INVALID_MEMORY_ACCESS (6) instead of crashing or trapping. */
RIVER_EXPORT(river_test_bad_pointer) uint32_t river_test_bad_pointer(void) {
  return proxy_log(kLogInfo, (const char*)(uintptr_t)0xfffffff0u, 64);
}

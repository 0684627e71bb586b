/* Example plugin that never returns from proxy_on_request_headers. The host's CPU-time
 * budget must stop it. */
#include <stdint.h>
#include <stdlib.h>

#include "proxy_wasm.h"

RIVER_EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}

RIVER_EXPORT(proxy_on_memory_allocate) void* proxy_on_memory_allocate(size_t size) {
  return malloc(size);
}

RIVER_EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t num_headers, uint32_t end_of_stream) {
  (void)num_headers;
  (void)end_of_stream;
  volatile uint32_t spin = context_id;
  for (;;) {
    spin = spin * 1664525u + 1013904223u;
  }
}

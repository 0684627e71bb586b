/* Example plugin: keeps a counter in the host's shared data, visible to every worker's
 * instance, and increments it once per request with compare-and-swap (retrying when another
 * worker got there first). The value after this request's increment goes to the response
 * header `x-shared-counter`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_wasm.h"

RIVER_EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}

RIVER_EXPORT(proxy_on_memory_allocate) void* proxy_on_memory_allocate(size_t size) {
  return malloc(size);
}

#define MAX_CONTEXTS 1024
/* The count each in-flight request got, by context id (ids are reused modulo the table). */
static unsigned long long counts[MAX_CONTEXTS];

static unsigned long long increment(void) {
  static const char kKey[] = "shared_counter.requests";
  for (;;) {
    const char* value = NULL;
    size_t size = 0;
    uint32_t cas = 0;
    unsigned long long current = 0;
    uint32_t got = proxy_get_shared_data(kKey, sizeof kKey - 1, &value, &size, &cas);
    if (got == kProxyOk) {
      char text[24] = {0};
      memcpy(text, value, size < sizeof text - 1 ? size : sizeof text - 1);
      current = strtoull(text, NULL, 10);
      free((void*)value);
    }
    char next[24];
    int n = snprintf(next, sizeof next, "%llu", current + 1);
    /* cas 0 for the first set: the key does not exist yet. */
    uint32_t set = proxy_set_shared_data(kKey, sizeof kKey - 1, next, (size_t)n,
                                         got == kProxyOk ? cas : 0);
    if (set == kProxyOk) {
      return current + 1;
    }
    if (set != kProxyCasMismatch) {
      return 0;
    }
  }
}

RIVER_EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t num_headers,
                                  uint32_t end_of_stream) {
  (void)num_headers;
  (void)end_of_stream;
  counts[context_id % MAX_CONTEXTS] = increment();
  return kActionContinue;
}

RIVER_EXPORT(proxy_on_response_headers)
uint32_t proxy_on_response_headers(uint32_t context_id, uint32_t num_headers,
                                   uint32_t end_of_stream) {
  (void)num_headers;
  (void)end_of_stream;
  char text[24];
  int n = snprintf(text, sizeof text, "%llu", counts[context_id % MAX_CONTEXTS]);
  proxy_add_header_map_value(kResponseHeaders, RIVER_STR("x-shared-counter"), text, (size_t)n);
  return kActionContinue;
}

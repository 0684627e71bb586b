/* Example plugin: adds `x-river-plugin: add_header` to every request (what the upstream sees)
 * and every response (what the client sees), and logs the request's `user-agent`. Built for
 * wasm32-wasi as a reactor (no main): the host calls the exports. */
#include <stdlib.h>
#include <string.h>

#include "proxy_wasm.h"

RIVER_EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}

/* The host asks for guest memory to hand over strings (header values, bodies). */
RIVER_EXPORT(proxy_on_memory_allocate) void* proxy_on_memory_allocate(size_t size) {
  return malloc(size);
}

RIVER_EXPORT(proxy_on_context_create) void proxy_on_context_create(uint32_t context_id,
                                                                   uint32_t parent_id) {
  (void)context_id;
  (void)parent_id;
}

static void log_str(uint32_t level, const char* text) {
  proxy_log(level, text, strlen(text));
}

RIVER_EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t num_headers, uint32_t end_of_stream) {
  (void)context_id;
  (void)num_headers;
  (void)end_of_stream;

  static const char kAgent[] = "user-agent";
  const char* agent = NULL;
  size_t agent_size = 0;
  if (proxy_get_header_map_value(kRequestHeaders, kAgent, sizeof kAgent - 1, &agent,
                                 &agent_size) == kProxyOk) {
    /* The host allocated `agent` with proxy_on_memory_allocate; the plugin owns it. */
    static const char kPrefix[] = "user-agent=";
    char* line = malloc(sizeof kPrefix - 1 + agent_size);
    if (line != NULL) {
      memcpy(line, kPrefix, sizeof kPrefix - 1);
      memcpy(line + sizeof kPrefix - 1, agent, agent_size);
      proxy_log(kLogInfo, line, sizeof kPrefix - 1 + agent_size);
      free(line);
    }
    free((void*)agent);
  } else {
    log_str(kLogDebug, "no user-agent");
  }

  static const char kName[] = "x-river-plugin";
  static const char kValue[] = "add_header";
  proxy_add_header_map_value(kRequestHeaders, kName, sizeof kName - 1, kValue, sizeof kValue - 1);
  return kActionContinue;
}

RIVER_EXPORT(proxy_on_response_headers)
uint32_t proxy_on_response_headers(uint32_t context_id, uint32_t num_headers,
                                   uint32_t end_of_stream) {
  (void)context_id;
  (void)num_headers;
  (void)end_of_stream;
  proxy_add_header_map_value(kResponseHeaders, RIVER_STR("x-river-plugin"),
                             RIVER_STR("add_header"));
  return kActionContinue;
}

/* Test helpers, not part of the ABI: a sum over i64 to check argument passing, and a way to
 * grow memory from the guest to check the memory cap. */
RIVER_EXPORT(river_test_add64) int64_t river_test_add64(int64_t a, int64_t b) { return a + b; }

RIVER_EXPORT(river_test_grow) int32_t river_test_grow(int32_t pages) {
  return __builtin_wasm_memory_grow(0, (unsigned long)pages);
}

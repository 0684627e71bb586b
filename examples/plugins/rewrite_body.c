/* Example plugin: rewrites bytes in response bodies. Its configuration is "FROM=TO"
 * (default "river=RIVER"); every occurrence of FROM in a response body becomes TO. The body
 * is held until it is complete (proxy_on_response_body answers Pause until end_of_stream),
 * so an occurrence split across two reads is still found. */
#include <stdlib.h>
#include <string.h>

#include "proxy_wasm.h"

RIVER_EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}

RIVER_EXPORT(proxy_on_memory_allocate) void* proxy_on_memory_allocate(size_t size) {
  return malloc(size);
}

static char* from = "river";
static size_t from_size = 5;
static char* to = "RIVER";
static size_t to_size = 5;

RIVER_EXPORT(proxy_on_configure)
uint32_t proxy_on_configure(uint32_t root_context_id, uint32_t configuration_size) {
  (void)root_context_id;
  if (configuration_size == 0) {
    return 1;
  }
  const char* data = NULL;
  size_t size = 0;
  if (proxy_get_buffer_bytes(kPluginConfiguration, 0, configuration_size, &data, &size) !=
      kProxyOk) {
    return 0;
  }
  const char* equals = memchr(data, '=', size);
  if (equals == NULL || equals == data) {
    return 0; /* FROM must not be empty */
  }
  from = (char*)data;
  from_size = (size_t)(equals - data);
  to = (char*)equals + 1;
  to_size = size - from_size - 1;
  return 1;
}

RIVER_EXPORT(proxy_on_response_body)
uint32_t proxy_on_response_body(uint32_t context_id, uint32_t body_size, uint32_t end_of_stream) {
  (void)context_id;
  if (!end_of_stream) {
    return kActionPause; /* hold the body until it is complete */
  }
  const char* body = NULL;
  size_t size = 0;
  if (body_size == 0 ||
      proxy_get_buffer_bytes(kResponseBody, 0, body_size, &body, &size) != kProxyOk) {
    return kActionContinue;
  }
  /* Worst case every byte starts a match. */
  size_t matches = 0;
  for (size_t i = 0; i + from_size <= size;) {
    if (memcmp(body + i, from, from_size) == 0) {
      ++matches;
      i += from_size;
    } else {
      ++i;
    }
  }
  if (matches == 0) {
    free((void*)body);
    return kActionContinue;
  }
  size_t out_size = size - matches * from_size + matches * to_size;
  char* out = malloc(out_size);
  size_t o = 0;
  for (size_t i = 0; i < size;) {
    if (i + from_size <= size && memcmp(body + i, from, from_size) == 0) {
      memcpy(out + o, to, to_size);
      o += to_size;
      i += from_size;
    } else {
      out[o++] = body[i++];
    }
  }
  proxy_set_buffer_bytes(kResponseBody, 0, size, out, out_size);
  free(out);
  free((void*)body);
  return kActionContinue;
}

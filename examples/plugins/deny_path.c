/* Example plugin: answers 403 itself, without asking the upstream, for every request whose
 * path starts with the prefix given as the plugin's configuration (default "/private").
 * Shows proxy_on_configure reading its configuration, a pseudo-header (":path") and a local
 * response with its own header. */
#include <stdlib.h>
#include <string.h>

#include "proxy_wasm.h"

RIVER_EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}

RIVER_EXPORT(proxy_on_memory_allocate) void* proxy_on_memory_allocate(size_t size) {
  return malloc(size);
}

static char* prefix;
static size_t prefix_size;

RIVER_EXPORT(proxy_on_configure)
uint32_t proxy_on_configure(uint32_t root_context_id, uint32_t configuration_size) {
  (void)root_context_id;
  if (configuration_size == 0) {
    prefix = strdup("/private");
    prefix_size = strlen(prefix);
    return 1;
  }
  const char* data = NULL;
  size_t size = 0;
  if (proxy_get_buffer_bytes(kPluginConfiguration, 0, configuration_size, &data, &size) !=
      kProxyOk) {
    return 0;
  }
  /* A prefix must be a path: refusing anything else makes `river check` report it. */
  if (size == 0 || data[0] != '/') {
    free((void*)data);
    return 0;
  }
  prefix = (char*)data;
  prefix_size = size;
  return 1;
}

RIVER_EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t num_headers,
                                  uint32_t end_of_stream) {
  (void)context_id;
  (void)num_headers;
  (void)end_of_stream;
  const char* path = NULL;
  size_t path_size = 0;
  if (proxy_get_header_map_value(kRequestHeaders, RIVER_STR(":path"), &path, &path_size) !=
      kProxyOk) {
    return kActionContinue;
  }
  int denied = path_size >= prefix_size && memcmp(path, prefix, prefix_size) == 0;
  free((void*)path);
  if (!denied) {
    return kActionContinue;
  }

  /* One header, x-denied-by: deny_path, in the ABI's map encoding. */
  static const char kHeaders[] =
      "\x01\x00\x00\x00"             /* one pair */
      "\x0b\x00\x00\x00\x09\x00\x00\x00" /* key size 11, value size 9 */
      "x-denied-by\0deny_path";       /* the final NUL comes from the literal */
  static const char kBody[] = "forbidden by plugin deny_path\n";
  proxy_send_local_response(403, RIVER_STR("denied"), RIVER_STR(kBody), kHeaders,
                            sizeof kHeaders, -1);
  proxy_log(kLogDebug, RIVER_STR("denied a request"));
  return kActionPause;
}

/* A minimal C binding of the proxy-wasm ABI 0.2.1 host functions used by River's example
 * plugins. Only what the examples need; see docs/plugins.md. */
#ifndef RIVER_EXAMPLES_PROXY_WASM_H
#define RIVER_EXAMPLES_PROXY_WASM_H

#include <stddef.h>
#include <stdint.h>

#define RIVER_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define RIVER_EXPORT(name) __attribute__((export_name(#name)))

/* proxy_status_t */
enum { kProxyOk = 0, kProxyNotFound = 1, kProxyBadArgument = 2 };
/* proxy_log_level_t */
enum { kLogTrace = 0, kLogDebug = 1, kLogInfo = 2, kLogWarn = 3, kLogError = 4 };
/* proxy_map_type_t */
enum { kRequestHeaders = 0, kResponseHeaders = 2 };
/* proxy_action_t */
enum { kActionContinue = 0, kActionPause = 1 };

RIVER_IMPORT(proxy_log)
uint32_t proxy_log(uint32_t level, const char* message, size_t size);

RIVER_IMPORT(proxy_get_header_map_value)
uint32_t proxy_get_header_map_value(uint32_t map, const char* key, size_t key_size,
                                    const char** value, size_t* value_size);

RIVER_IMPORT(proxy_add_header_map_value)
uint32_t proxy_add_header_map_value(uint32_t map, const char* key, size_t key_size,
                                    const char* value, size_t value_size);

#endif

/* A minimal C binding of the proxy-wasm ABI 0.2.1 host functions used by River's example
 * plugins. Only what the examples need; see docs/plugins.md. */
#ifndef RIVER_EXAMPLES_PROXY_WASM_H
#define RIVER_EXAMPLES_PROXY_WASM_H

#include <stddef.h>
#include <stdint.h>

#define RIVER_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define RIVER_EXPORT(name) __attribute__((export_name(#name)))

/* proxy_status_t */
enum {
  kProxyOk = 0,
  kProxyNotFound = 1,
  kProxyBadArgument = 2,
  kProxyInvalidMemoryAccess = 6,
  kProxyCasMismatch = 8,
  kProxyUnimplemented = 12
};
/* proxy_log_level_t */
enum { kLogTrace = 0, kLogDebug = 1, kLogInfo = 2, kLogWarn = 3, kLogError = 4 };
/* proxy_map_type_t */
enum { kRequestHeaders = 0, kRequestTrailers = 1, kResponseHeaders = 2, kResponseTrailers = 3 };
/* proxy_buffer_type_t */
enum { kRequestBody = 0, kResponseBody = 1, kPluginConfiguration = 7 };
/* proxy_metric_type_t */
enum { kMetricCounter = 0, kMetricGauge = 1, kMetricHistogram = 2 };
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

RIVER_IMPORT(proxy_get_header_map_pairs)
uint32_t proxy_get_header_map_pairs(uint32_t map, const char** data, size_t* size);

RIVER_IMPORT(proxy_set_header_map_pairs)
uint32_t proxy_set_header_map_pairs(uint32_t map, const char* data, size_t size);

RIVER_IMPORT(proxy_replace_header_map_value)
uint32_t proxy_replace_header_map_value(uint32_t map, const char* key, size_t key_size,
                                        const char* value, size_t value_size);

RIVER_IMPORT(proxy_remove_header_map_value)
uint32_t proxy_remove_header_map_value(uint32_t map, const char* key, size_t key_size);

RIVER_IMPORT(proxy_get_buffer_bytes)
uint32_t proxy_get_buffer_bytes(uint32_t buffer, size_t start, size_t max_size, const char** data,
                                size_t* size);

RIVER_IMPORT(proxy_set_buffer_bytes)
uint32_t proxy_set_buffer_bytes(uint32_t buffer, size_t start, size_t size, const char* data,
                                size_t data_size);

RIVER_IMPORT(proxy_send_local_response)
uint32_t proxy_send_local_response(uint32_t status, const char* details, size_t details_size,
                                   const char* body, size_t body_size, const char* headers,
                                   size_t headers_size, int32_t grpc_status);

RIVER_IMPORT(proxy_get_property)
uint32_t proxy_get_property(const char* path, size_t path_size, const char** value,
                            size_t* value_size);

RIVER_IMPORT(proxy_continue_stream)
uint32_t proxy_continue_stream(uint32_t stream);

RIVER_IMPORT(proxy_get_current_time_nanoseconds)
uint32_t proxy_get_current_time_nanoseconds(uint64_t* nanoseconds);

RIVER_IMPORT(proxy_set_tick_period_milliseconds)
uint32_t proxy_set_tick_period_milliseconds(uint32_t period);

RIVER_IMPORT(proxy_get_shared_data)
uint32_t proxy_get_shared_data(const char* key, size_t key_size, const char** value,
                               size_t* value_size, uint32_t* cas);

RIVER_IMPORT(proxy_set_shared_data)
uint32_t proxy_set_shared_data(const char* key, size_t key_size, const char* value,
                               size_t value_size, uint32_t cas);

RIVER_IMPORT(proxy_define_metric)
uint32_t proxy_define_metric(uint32_t type, const char* name, size_t name_size, uint32_t* id);

RIVER_IMPORT(proxy_increment_metric)
uint32_t proxy_increment_metric(uint32_t id, int64_t delta);

RIVER_IMPORT(proxy_record_metric)
uint32_t proxy_record_metric(uint32_t id, uint64_t value);

RIVER_IMPORT(proxy_get_metric)
uint32_t proxy_get_metric(uint32_t id, uint64_t* value);

RIVER_IMPORT(proxy_http_call)
uint32_t proxy_http_call(const char* upstream, size_t upstream_size, const char* headers,
                         size_t headers_size, const char* body, size_t body_size,
                         const char* trailers, size_t trailers_size, uint32_t timeout,
                         uint32_t* token);

/* Helpers shared by the examples. */
#define RIVER_STR(literal) literal, sizeof(literal) - 1

#endif

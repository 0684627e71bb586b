/* Example plugin that uses most of the ABI, for the tests and as a reference:
 *  - request headers: copies properties (request path, method, host, scheme, protocol,
 *    source address, plugin name, request id) into `x-prop-*` request headers, counts the
 *    fields with proxy_get_header_map_pairs, re-sets the whole map with
 *    proxy_set_header_map_pairs plus one field, replaces `x-replace-me`, removes
 *    `x-remove-me`, and reports what an unimplemented call (proxy_http_call) answers;
 *  - request body: held until complete, then " +inspected" is appended;
 *  - request and response trailers: `x-trailer-seen: 1` added;
 *  - response headers: `x-upstream-status` from ":status" and the response code property;
 *  - log, done, delete: counted in metrics `inspect_log`, `inspect_done`, `inspect_delete`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_wasm.h"

RIVER_EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}

RIVER_EXPORT(proxy_on_memory_allocate) void* proxy_on_memory_allocate(size_t size) {
  return malloc(size);
}

static uint32_t log_metric, done_metric, delete_metric;

RIVER_EXPORT(proxy_on_context_create) void proxy_on_context_create(uint32_t id, uint32_t parent) {
  (void)id;
  if (parent == 0) {
    proxy_define_metric(kMetricCounter, RIVER_STR("inspect_log"), &log_metric);
    proxy_define_metric(kMetricCounter, RIVER_STR("inspect_done"), &done_metric);
    proxy_define_metric(kMetricCounter, RIVER_STR("inspect_delete"), &delete_metric);
  }
}

static void copy_property(const char* path, size_t path_size, const char* header) {
  const char* value = NULL;
  size_t size = 0;
  uint32_t status = proxy_get_property(path, path_size, &value, &size);
  if (status != kProxyOk) {
    proxy_add_header_map_value(kRequestHeaders, header, strlen(header), RIVER_STR("(none)"));
    return;
  }
  proxy_add_header_map_value(kRequestHeaders, header, strlen(header), value, size);
  free((void*)value);
}

static uint32_t read_u32(const char* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

RIVER_EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t num_headers,
                                  uint32_t end_of_stream) {
  (void)context_id;
  (void)end_of_stream;
  /* Property paths are segments separated by NUL. */
  copy_property(RIVER_STR("request\0path"), "x-prop-path");
  copy_property(RIVER_STR("request\0method"), "x-prop-method");
  copy_property(RIVER_STR("request\0host"), "x-prop-host");
  copy_property(RIVER_STR("request\0scheme"), "x-prop-scheme");
  copy_property(RIVER_STR("request\0protocol"), "x-prop-protocol");
  copy_property(RIVER_STR("source\0address"), "x-prop-source");
  copy_property(RIVER_STR("plugin_name"), "x-prop-plugin");
  copy_property(RIVER_STR("no\0such\0property"), "x-prop-missing");

  char text[64];
  int n = snprintf(text, sizeof text, "%u", num_headers);
  proxy_add_header_map_value(kRequestHeaders, RIVER_STR("x-num-headers"), text, (size_t)n);

  /* All pairs out, then back in with one more field appended. */
  const char* pairs = NULL;
  size_t pairs_size = 0;
  if (proxy_get_header_map_pairs(kRequestHeaders, &pairs, &pairs_size) == kProxyOk &&
      pairs_size >= 4) {
    uint32_t count = read_u32(pairs);
    static const char kKey[] = "x-set-by-pairs";
    static const char kValue[] = "yes";
    size_t sizes_end = 4 + (size_t)count * 8;
    size_t out_size = pairs_size + 8 + sizeof kKey + sizeof kValue;
    char* out = malloc(out_size);
    uint32_t new_count = count + 1;
    memcpy(out, &new_count, 4);
    memcpy(out + 4, pairs + 4, sizes_end - 4);
    uint32_t key_size = sizeof kKey - 1, value_size = sizeof kValue - 1;
    memcpy(out + sizes_end, &key_size, 4);
    memcpy(out + sizes_end + 4, &value_size, 4);
    memcpy(out + sizes_end + 8, pairs + sizes_end, pairs_size - sizes_end);
    size_t at = sizes_end + 8 + (pairs_size - sizes_end);
    memcpy(out + at, kKey, sizeof kKey);
    memcpy(out + at + sizeof kKey, kValue, sizeof kValue);
    proxy_set_header_map_pairs(kRequestHeaders, out, out_size);
    n = snprintf(text, sizeof text, "%u", count);
    proxy_add_header_map_value(kRequestHeaders, RIVER_STR("x-pair-count"), text, (size_t)n);
    free(out);
    free((void*)pairs);
  }

  proxy_replace_header_map_value(kRequestHeaders, RIVER_STR("x-replace-me"), RIVER_STR("replaced"));
  proxy_remove_header_map_value(kRequestHeaders, RIVER_STR("x-remove-me"));
  /* A header a plugin may not add (a CR LF in the value) is refused with BAD_ARGUMENT. */
  uint32_t bad = proxy_add_header_map_value(kRequestHeaders, RIVER_STR("x-bad"),
                                            RIVER_STR("a\r\nx-injected: 1"));
  n = snprintf(text, sizeof text, "%u", bad);
  proxy_add_header_map_value(kRequestHeaders, RIVER_STR("x-bad-status"), text, (size_t)n);

  uint32_t token = 0;
  uint32_t call = proxy_http_call(RIVER_STR("upstream"), NULL, 0, NULL, 0, NULL, 0, 1000, &token);
  n = snprintf(text, sizeof text, "%u", call);
  proxy_add_header_map_value(kRequestHeaders, RIVER_STR("x-http-call-status"), text, (size_t)n);

  uint64_t now = 0;
  proxy_get_current_time_nanoseconds(&now);
  n = snprintf(text, sizeof text, "%d", now > 1600000000ull * 1000000000ull);
  proxy_add_header_map_value(kRequestHeaders, RIVER_STR("x-time-ok"), text, (size_t)n);
  proxy_continue_stream(0);
  return kActionContinue;
}

RIVER_EXPORT(proxy_on_request_body)
uint32_t proxy_on_request_body(uint32_t context_id, uint32_t body_size, uint32_t end_of_stream) {
  (void)context_id;
  (void)body_size;
  if (!end_of_stream) {
    return kActionPause;
  }
  /* Append: start past the end. */
  proxy_set_buffer_bytes(kRequestBody, (size_t)-1, 0, RIVER_STR(" +inspected"));
  return kActionContinue;
}

RIVER_EXPORT(proxy_on_request_trailers)
uint32_t proxy_on_request_trailers(uint32_t context_id, uint32_t num_trailers) {
  (void)context_id;
  (void)num_trailers;
  proxy_add_header_map_value(kRequestTrailers, RIVER_STR("x-trailer-seen"), RIVER_STR("1"));
  return kActionContinue;
}

RIVER_EXPORT(proxy_on_response_headers)
uint32_t proxy_on_response_headers(uint32_t context_id, uint32_t num_headers,
                                   uint32_t end_of_stream) {
  (void)context_id;
  (void)num_headers;
  (void)end_of_stream;
  const char* status = NULL;
  size_t size = 0;
  if (proxy_get_header_map_value(kResponseHeaders, RIVER_STR(":status"), &status, &size) ==
      kProxyOk) {
    proxy_add_header_map_value(kResponseHeaders, RIVER_STR("x-upstream-status"), status, size);
    free((void*)status);
  }
  const char* code = NULL;
  if (proxy_get_property(RIVER_STR("response\0code"), &code, &size) == kProxyOk && size == 8) {
    int64_t value;
    memcpy(&value, code, 8);
    char text[24];
    int n = snprintf(text, sizeof text, "%lld", (long long)value);
    proxy_add_header_map_value(kResponseHeaders, RIVER_STR("x-response-code"), text, (size_t)n);
    free((void*)code);
  }
  const char* agent = NULL;
  if (proxy_get_header_map_value(kRequestHeaders, RIVER_STR("user-agent"), &agent, &size) ==
      kProxyOk) {
    proxy_add_header_map_value(kResponseHeaders, RIVER_STR("x-request-agent"), agent, size);
    free((void*)agent);
  }
  return kActionContinue;
}

RIVER_EXPORT(proxy_on_response_trailers)
uint32_t proxy_on_response_trailers(uint32_t context_id, uint32_t num_trailers) {
  (void)context_id;
  (void)num_trailers;
  proxy_add_header_map_value(kResponseTrailers, RIVER_STR("x-trailer-seen"), RIVER_STR("1"));
  return kActionContinue;
}

RIVER_EXPORT(proxy_on_done) uint32_t proxy_on_done(uint32_t context_id) {
  (void)context_id;
  proxy_increment_metric(done_metric, 1);
  return 1;
}

RIVER_EXPORT(proxy_on_log) void proxy_on_log(uint32_t context_id) {
  (void)context_id;
  proxy_increment_metric(log_metric, 1);
}

RIVER_EXPORT(proxy_on_delete) void proxy_on_delete(uint32_t context_id) {
  (void)context_id;
  proxy_increment_metric(delete_metric, 1);
}

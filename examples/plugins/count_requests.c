/* Example plugin: counts requests in a metric, `river_plugin_requests_total`, shared by every
 * worker, and reports the count so far in a response header `x-request-count`. Also logs its
 * start through wasi-libc's stdio (fd_write) to show that printf works. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_wasm.h"

RIVER_EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}

RIVER_EXPORT(proxy_on_memory_allocate) void* proxy_on_memory_allocate(size_t size) {
  return malloc(size);
}

static uint32_t requests;
static uint32_t latency;

RIVER_EXPORT(proxy_on_vm_start)
uint32_t proxy_on_vm_start(uint32_t root_context_id, uint32_t vm_configuration_size) {
  (void)root_context_id;
  (void)vm_configuration_size;
  printf("count_requests starting\n");
  fflush(stdout);
  return 1;
}

RIVER_EXPORT(proxy_on_configure)
uint32_t proxy_on_configure(uint32_t root_context_id, uint32_t configuration_size) {
  (void)root_context_id;
  (void)configuration_size;
  /* Every worker's instance defines the same names and gets the same metrics. */
  if (proxy_define_metric(kMetricCounter, RIVER_STR("river_plugin_requests_total"), &requests) !=
          kProxyOk ||
      proxy_define_metric(kMetricGauge, RIVER_STR("river_plugin_last_request_ns"), &latency) !=
          kProxyOk) {
    return 0;
  }
  /* Timers are not offered: the host says so instead of failing. */
  return proxy_set_tick_period_milliseconds(1000) == kProxyUnimplemented ? 1 : 0;
}

RIVER_EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t num_headers,
                                  uint32_t end_of_stream) {
  (void)context_id;
  (void)num_headers;
  (void)end_of_stream;
  proxy_increment_metric(requests, 1);
  uint64_t now = 0;
  proxy_get_current_time_nanoseconds(&now);
  proxy_record_metric(latency, now);
  return kActionContinue;
}

RIVER_EXPORT(proxy_on_response_headers)
uint32_t proxy_on_response_headers(uint32_t context_id, uint32_t num_headers,
                                   uint32_t end_of_stream) {
  (void)context_id;
  (void)num_headers;
  (void)end_of_stream;
  uint64_t count = 0;
  if (proxy_get_metric(requests, &count) != kProxyOk) {
    return kActionContinue;
  }
  char text[24];
  int n = snprintf(text, sizeof text, "%llu", (unsigned long long)count);
  proxy_replace_header_map_value(kResponseHeaders, RIVER_STR("x-request-count"), text,
                                 (size_t)n);
  return kActionContinue;
}

// Example plugin in AssemblyScript, written straight against the proxy-wasm ABI 0.2.1 (no
// SDK): adds `x-river-plugin-as: <configuration>` (default "assemblyscript") to every
// response, and logs its configuration when it starts.

@external("env", "proxy_log")
declare function proxy_log(level: u32, message: usize, size: usize): u32;

@external("env", "proxy_get_buffer_bytes")
declare function proxy_get_buffer_bytes(buffer: u32, start: usize, max_size: usize,
                                        data: usize, size: usize): u32;

@external("env", "proxy_add_header_map_value")
declare function proxy_add_header_map_value(map: u32, key: usize, key_size: usize,
                                            value: usize, value_size: usize): u32;

const kLogInfo: u32 = 2;
const kResponseHeaders: u32 = 2;
const kPluginConfiguration: u32 = 7;
const kOk: u32 = 0;

// UTF-8 copies made once; globals keep them alive.
const headerName = String.UTF8.encode("x-river-plugin-as");
let headerValue = String.UTF8.encode("assemblyscript");

export function proxy_abi_version_0_2_1(): void {}

// The host hands strings over in memory from here; the plugin frees them with heap.free.
export function proxy_on_memory_allocate(size: usize): usize {
  return heap.alloc(size);
}

export function proxy_on_configure(root_context_id: u32, configuration_size: usize): u32 {
  if (configuration_size == 0) {
    return 1;
  }
  // Two words the host fills in: the address and the size of a copy of the configuration.
  const out = heap.alloc(8);
  if (proxy_get_buffer_bytes(kPluginConfiguration, 0, configuration_size, out, out + 4) != kOk) {
    heap.free(out);
    return 0;
  }
  const data = load<u32>(out) as usize;
  const size = load<u32>(out + 4) as usize;
  headerValue = String.UTF8.encode(String.UTF8.decodeUnsafe(data, size));
  const line = String.UTF8.encode("as_add_header configured with " + String.UTF8.decodeUnsafe(data, size));
  proxy_log(kLogInfo, changetype<usize>(line), line.byteLength);
  heap.free(data);
  heap.free(out);
  return 1;
}

export function proxy_on_context_create(context_id: u32, parent_context_id: u32): void {}

export function proxy_on_response_headers(context_id: u32, num_headers: u32,
                                          end_of_stream: u32): u32 {
  proxy_add_header_map_value(kResponseHeaders, changetype<usize>(headerName), headerName.byteLength,
                             changetype<usize>(headerValue), headerValue.byteLength);
  return 0;
}

// Called by the runtime on a failed assertion (--use abort=...): log, then trap.
export function plugin_abort(message: string | null, file: string | null, line: u32,
                             column: u32): void {
  const text = String.UTF8.encode("abort: " + (message !== null ? message : ""));
  proxy_log(4, changetype<usize>(text), text.byteLength);
  unreachable();
}

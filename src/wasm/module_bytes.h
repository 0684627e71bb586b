// Reading and adjusting a WebAssembly binary before V8 compiles it.
//
// V8 caps an instance's linear memory at the maximum its module declares (or at a
// process-wide flag). To give each plugin its own cap, River rewrites the module's memory
// section so that its declared maximum is at most the configured cap; the guest then sees
// `memory.grow` fail past the cap, exactly as the WebAssembly specification describes.
// Binary format: WebAssembly Core Specification 2.0, §5.5 (modules) and §5.3.8 (limits).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"

namespace river::wasm {

/// A WebAssembly page: 64 KiB.
inline constexpr std::uint32_t kPageBytes = 65536;

/// Returns a copy of `wasm` whose defined memories declare a maximum of at most `max_pages`.
/// The bytes are only parsed as far as the section headers and the memory section; V8
/// validates the rest. Errors (`Config`): malformed section headers, initial memory above
/// `max_pages`, shared or 64-bit memory, or an imported memory (not supported yet).
Result<std::vector<std::uint8_t>> cap_memory(std::span<const std::uint8_t> wasm,
                                             std::uint32_t max_pages);

}  // namespace river::wasm

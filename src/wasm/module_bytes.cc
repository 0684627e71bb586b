#include "wasm/module_bytes.h"

#include <algorithm>
#include <optional>
#include <string>

namespace river::wasm {
namespace {

constexpr std::uint8_t kImportSection = 2;
constexpr std::uint8_t kMemorySection = 5;
constexpr std::uint8_t kImportKindMemory = 2;

Error invalid(std::string context) {
  return Error{ErrorKind::Config, Side::Config, false, "wasm module: " + std::move(context)};
}

/// A bounds-checked cursor over the module bytes.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool at_end() const { return pos_ == bytes_.size(); }
  std::size_t pos() const { return pos_; }

  std::optional<std::uint8_t> byte() {
    if (pos_ >= bytes_.size()) {
      return std::nullopt;
    }
    return bytes_[pos_++];
  }

  /// Unsigned LEB128 of at most 32 bits (§5.2.2).
  std::optional<std::uint32_t> u32() {
    std::uint32_t value = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      auto b = byte();
      if (!b) {
        return std::nullopt;
      }
      if (shift == 28 && (*b & 0x70) != 0) {
        return std::nullopt;  // More than 32 bits.
      }
      value |= static_cast<std::uint32_t>(*b & 0x7f) << shift;
      if ((*b & 0x80) == 0) {
        return value;
      }
    }
    return std::nullopt;
  }

  bool skip(std::size_t n) {
    if (n > bytes_.size() - pos_) {
      return false;
    }
    pos_ += n;
    return true;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  do {
    std::uint8_t b = value & 0x7f;
    value >>= 7;
    if (value != 0) {
      b |= 0x80;
    }
    out.push_back(b);
  } while (value != 0);
}

/// Checks that the import section imports no memory: River does not provide one yet.
Result<void> check_imports(std::span<const std::uint8_t> payload) {
  Reader in(payload);
  auto count = in.u32();
  if (!count) {
    return invalid("malformed import section");
  }
  for (std::uint32_t i = 0; i < *count; ++i) {
    for (int name = 0; name < 2; ++name) {
      auto len = in.u32();
      if (!len || !in.skip(*len)) {
        return invalid("malformed import section");
      }
    }
    auto kind = in.byte();
    if (!kind) {
      return invalid("malformed import section");
    }
    if (*kind == kImportKindMemory) {
      // TODO(#4): provide an imported memory created with the cap as its maximum.
      return invalid("imported memory is not supported; export the module's own memory");
    }
    // Function imports carry a type index; the others are not expected in plugins but are
    // left for V8 to validate. Stop scanning at the first one we cannot skip safely.
    if (*kind != 0) {
      return {};
    }
    if (!in.u32()) {
      return invalid("malformed import section");
    }
  }
  return {};
}

Result<std::vector<std::uint8_t>> rewrite_memories(std::span<const std::uint8_t> payload,
                                                   std::uint32_t max_pages) {
  Reader in(payload);
  auto count = in.u32();
  if (!count) {
    return invalid("malformed memory section");
  }
  std::vector<std::uint8_t> out;
  put_u32(out, *count);
  for (std::uint32_t i = 0; i < *count; ++i) {
    auto flags = in.byte();
    if (!flags) {
      return invalid("malformed memory section");
    }
    if (*flags > 1) {
      return invalid("shared or 64-bit memory is not supported");
    }
    auto initial = in.u32();
    std::optional<std::uint32_t> maximum;
    if (*flags == 1) {
      maximum = in.u32();
      if (!maximum) {
        return invalid("malformed memory section");
      }
    }
    if (!initial) {
      return invalid("malformed memory section");
    }
    if (*initial > max_pages) {
      return invalid("initial memory of " + std::to_string(*initial) +
                     " pages exceeds the limit of " + std::to_string(max_pages) + " pages");
    }
    out.push_back(1);
    put_u32(out, *initial);
    put_u32(out, maximum ? std::min(*maximum, max_pages) : max_pages);
  }
  if (!in.at_end()) {
    return invalid("malformed memory section");
  }
  return out;
}

}  // namespace

Result<std::vector<std::uint8_t>> cap_memory(std::span<const std::uint8_t> wasm,
                                             std::uint32_t max_pages) {
  static constexpr std::uint8_t kHeader[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  if (wasm.size() < sizeof kHeader || !std::equal(std::begin(kHeader), std::end(kHeader),
                                                  wasm.begin())) {
    return invalid("not a WebAssembly 1.0 binary");
  }

  std::vector<std::uint8_t> out(wasm.begin(), wasm.begin() + sizeof kHeader);
  out.reserve(wasm.size() + 8);
  Reader in(wasm);
  (void)in.skip(sizeof kHeader);
  while (!in.at_end()) {
    std::size_t start = in.pos();
    auto id = in.byte();
    auto size = in.u32();
    if (!id || !size) {
      return invalid("malformed section header");
    }
    std::size_t payload_at = in.pos();
    if (!in.skip(*size)) {
      return invalid("section runs past the end of the module");
    }
    auto payload = wasm.subspan(payload_at, *size);

    if (*id == kImportSection) {
      if (auto ok = check_imports(payload); !ok) {
        return ok.error();
      }
    }
    if (*id != kMemorySection) {
      out.insert(out.end(), wasm.begin() + static_cast<std::ptrdiff_t>(start),
                 wasm.begin() + static_cast<std::ptrdiff_t>(in.pos()));
      continue;
    }

    auto memories = rewrite_memories(payload, max_pages);
    if (!memories) {
      return memories.error();
    }
    out.push_back(kMemorySection);
    put_u32(out, static_cast<std::uint32_t>(memories->size()));
    out.insert(out.end(), memories->begin(), memories->end());
  }
  return out;
}

}  // namespace river::wasm

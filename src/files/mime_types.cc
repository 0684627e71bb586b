#include "files/mime_types.h"

#include <array>

#include "base/strings.h"

namespace river::files {
namespace {

struct MimeType {
  std::string_view extension;
  std::string_view content_type;
};

// Types follow the IANA media type registry; JavaScript is text/javascript (RFC 9239). JSON
// and SVG get no charset parameter: none is defined for them (RFC 8259 §11), the content
// itself says it is UTF-8.
constexpr std::array kTypes = {
    MimeType{"html", "text/html; charset=utf-8"},
    MimeType{"htm", "text/html; charset=utf-8"},
    MimeType{"css", "text/css; charset=utf-8"},
    MimeType{"js", "text/javascript; charset=utf-8"},
    MimeType{"mjs", "text/javascript; charset=utf-8"},
    MimeType{"json", "application/json"},
    MimeType{"txt", "text/plain; charset=utf-8"},
    MimeType{"xml", "text/xml; charset=utf-8"},
    MimeType{"svg", "image/svg+xml"},
    MimeType{"png", "image/png"},
    MimeType{"jpg", "image/jpeg"},
    MimeType{"jpeg", "image/jpeg"},
    MimeType{"gif", "image/gif"},
    MimeType{"webp", "image/webp"},
    MimeType{"ico", "image/x-icon"},
    MimeType{"wasm", "application/wasm"},
    MimeType{"pdf", "application/pdf"},
    MimeType{"woff", "font/woff"},
    MimeType{"woff2", "font/woff2"},
    MimeType{"ttf", "font/ttf"},
    MimeType{"mp4", "video/mp4"},
    MimeType{"webm", "video/webm"},
    MimeType{"mp3", "audio/mpeg"},
    MimeType{"zip", "application/zip"},
    MimeType{"gz", "application/gzip"},
    MimeType{"tar", "application/x-tar"},
    MimeType{"csv", "text/csv; charset=utf-8"},
    MimeType{"md", "text/markdown; charset=utf-8"},
};

constexpr std::string_view kDefaultType = "application/octet-stream";

}  // namespace

std::string_view content_type_for(std::string_view file_name) {
  const auto slash = file_name.rfind('/');
  if (slash != std::string_view::npos) {
    file_name.remove_prefix(slash + 1);
  }
  const auto dot = file_name.rfind('.');
  // A name like ".profile" is a hidden file without an extension, not a file of type
  // "profile".
  if (dot == std::string_view::npos || dot == 0) {
    return kDefaultType;
  }
  const auto extension = file_name.substr(dot + 1);
  for (const auto& type : kTypes) {
    if (iequals(type.extension, extension)) {
      return type.content_type;
    }
  }
  return kDefaultType;
}

}  // namespace river::files

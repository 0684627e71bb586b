// Content-Type by file name extension, for the file server.
//
// A fixed table of the types a static web site commonly needs; anything else is served as
// application/octet-stream, which tells a browser to offer the file for download rather than
// render it.
#pragma once

#include <string_view>

namespace river::files {

/// The Content-Type field value for a file named `file_name` (a bare name or a path; only the
/// part after the last '/' counts). The extension is matched ASCII case-insensitively. Text
/// types carry "; charset=utf-8". The view points at static storage.
std::string_view content_type_for(std::string_view file_name);

}  // namespace river::files

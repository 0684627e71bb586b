// FileServer: answers GET and HEAD requests from a directory on disk.
//
// It decides the whole answer (status, fields, which bytes of which file) from the request
// head alone; the connection code then sends the head and copies the byte range. Supported:
// MIME types by extension, directory index files, single byte ranges (RFC 9110 §14), ETag and
// Last-Modified validators with If-None-Match, If-Modified-Since and If-Range.
//
// Safety: the request path is percent-decoded and dot segments are resolved before it
// touches the file system; encoded '/', '\' and NUL are refused; the resolved file must lie
// inside the root after symlinks are followed, so nothing outside the root is ever served.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "http/message.h"

namespace river::files {

struct FileServerOptions {
  std::filesystem::path root;
  std::vector<std::string> index = {"index.html"};
};

/// What to send for one request.
struct FileResponse {
  /// Status line and fields, Content-Length included (it matches what is sent).
  http::ResponseHead head;
  /// The file to copy from, when the body comes from a file; invalid otherwise.
  UniqueFd file;
  /// Which bytes of `file` form the body.
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  /// A small body River writes itself (error pages), used when `file` is invalid.
  std::string body;
  /// HEAD request or 304: send the head only, whatever Content-Length says.
  bool head_only = false;
};

class FileServer {
 public:
  /// Checks that `options.root` is a readable directory and resolves it once.
  static Result<FileServer> create(FileServerOptions options);

  /// Decides the answer to `request`. Never fails: problems become 4xx/5xx responses.
  FileResponse respond(const http::RequestHead& request) const;

  const std::filesystem::path& root() const { return root_; }

 private:
  explicit FileServer(std::filesystem::path root, std::vector<std::string> index);

  std::filesystem::path root_;  // canonical, symlinks resolved
  std::vector<std::string> index_;
};

}  // namespace river::files

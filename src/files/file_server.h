// FileServer: answers GET and HEAD requests from a directory on disk.
//
// It decides the whole answer (status, fields, which bytes of which file) from the request
// head alone; the connection code then sends the head and copies the byte range. Supported:
// MIME types by extension, directory index files, single byte ranges (RFC 9110 §14), ETag and
// Last-Modified validators with all five conditional fields of RFC 9110 §13.1. docs/files.md
// describes the behaviour for operators.
//
// Safety: the request path is percent-decoded and dot segments are resolved before it
// touches the file system; encoded '/', '\' and NUL are refused; the resolved file must lie
// inside the root after symlinks are followed, so nothing outside the root is ever served.
//
// Containment is enforced by the kernel where it can be: the root directory is opened once in
// `create`, and each file is opened relative to it with openat2(2) and RESOLVE_BENEATH, which
// fails a lookup that would leave the root through "..", an absolute symlink or a symlink
// pointing outside, all in the one open call (Linux 5.6+). When the lookup fails that way, or
// when the kernel lacks openat2, the file is opened with O_PATH and its real location, read
// back from /proc/self/fd, must lie under the canonical root before it is reopened for
// reading; so a symlink inside the root pointing elsewhere inside the root still works.
//
// A FileServer is immutable after `create`; `respond` may be called from any thread.
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
  /// Directory whose contents are served; relative paths are taken from the working
  /// directory. Required.
  std::filesystem::path root;
  /// File names tried, in order, for a request naming a directory with a trailing slash.
  std::vector<std::string> index = {"index.html"};
  /// Use openat2(2) when the kernel has it. False forces the portable open-then-verify path
  /// described above; tests use it to cover both.
  bool allow_openat2 = true;
};

/// What to send for one request.
struct FileResponse {
  /// Status line and fields. Content-Length matches what is sent (for HEAD, what a GET would
  /// send); a 304 has none, since RFC 9110 §8.6 allows only the full length there.
  http::ResponseHead head;
  /// The file to copy from, when the body comes from a file; invalid otherwise (also for
  /// HEAD, which needs no file).
  UniqueFd file;
  /// Which bytes of the file form the body (for HEAD: would form it).
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  /// A small body River writes itself (error pages), used when `file` is invalid.
  std::string body;
  /// HEAD request or 304: send the head only, whatever Content-Length says.
  bool head_only = false;
};

class FileServer {
 public:
  /// Checks that `options.root` is a readable directory, resolves it to its canonical path and
  /// opens it. Fails with ErrorKind::Config when it is not, or when an index name is empty,
  /// "." or "..", or holds '/' or NUL. The directory stays open for the server's lifetime:
  /// replacing it on disk (renaming another directory into its place) needs a new FileServer.
  static Result<FileServer> create(FileServerOptions options);

  /// Decides the answer to `request`. Never fails: problems become 4xx/5xx responses.
  FileResponse respond(const http::RequestHead& request) const;

  const std::filesystem::path& root() const { return root_; }

 private:
  struct OpenedFile;

  FileServer(std::filesystem::path root, UniqueFd root_fd, std::vector<std::string> index,
             bool use_openat2);

  /// Opens `relative` (normalised, no ".." segments) inside the root; see the overview.
  OpenedFile open_beneath(const std::string& relative) const;
  /// The fallback of `open_beneath`: O_PATH open, /proc/self/fd check, reopen.
  OpenedFile open_and_verify(const std::string& relative) const;

  std::filesystem::path root_;  // canonical, symlinks resolved
  UniqueFd root_fd_;            // the root directory, opened once in `create`
  std::vector<std::string> index_;
  bool use_openat2_ = false;  // openat2(2) is allowed and the kernel has it
};

}  // namespace river::files

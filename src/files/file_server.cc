#include "files/file_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <system_error>

#include "files/mime_types.h"
#include "files/path.h"
#include "files/range.h"
#include "files/validators.h"

namespace river::files {

struct FileServer::OpenedFile {
  UniqueFd fd;
  struct stat info {};
  int error = 0;  // errno of the failed step; 0 on success
};

namespace {

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, stalling the
// worker; on regular files it has no effect. O_NOCTTY: a terminal device must never become
// River's controlling terminal. Non-regular files are refused after fstat anyway.
constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

// openat2 reports EAGAIN when a concurrent rename might have let ".." escape; the man page
// asks callers to retry. Past this many tries the slower verified path decides.
constexpr int kOpenat2Attempts = 3;

constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";

int openat2_beneath(int dir_fd, const char* path) {
  open_how how{};
  how.flags = kOpenFlags;
  // RESOLVE_BENEATH refuses absolute paths, absolute symlinks and any ".." that would leave
  // dir_fd; RESOLVE_NO_MAGICLINKS refuses /proc-style links, which jump anywhere.
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dir_fd, path, &how, sizeof(how)));
}

bool is_inside(std::string_view root, std::string_view path) {
  if (root == "/") {
    return true;
  }
  return path.starts_with(root) && (path.size() == root.size() || path[root.size()] == '/');
}

std::string decimal(std::uint64_t value) {
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof(buffer), value).ptr;
  return std::string(buffer, end);
}

// How a failed open looks to the client. Lookups that leave the root (EXDEV, ELOOP) answer
// like missing files, so nothing is revealed about what lies outside.
int status_for_errno(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
    case ELOOP:
    case EXDEV:
      return 404;
    case EACCES:
    case EPERM:
      return 403;
    default:
      return 500;
  }
}

FileResponse text_response(int status, bool is_head) {
  FileResponse response;
  response.head.status = status;
  response.head.reason = std::string(http::reason_phrase(status));
  response.body = fmt::format("{} {}\n", status, response.head.reason);
  response.head.headers.add("Content-Type", kTextPlain);
  response.head.headers.add("Content-Length", decimal(response.body.size()));
  response.head_only = is_head;
  return response;
}

// The one HTTP-date of a field, or nullopt when the field is absent, repeated or invalid:
// RFC 9110 §13.1.3 and §13.1.4 say to ignore If-Modified-Since and If-Unmodified-Since then.
std::optional<std::int64_t> single_date(const http::HeaderMap& headers, std::string_view name) {
  const auto value = headers.get(name);
  if (!value || headers.count(name) != 1) {
    return std::nullopt;
  }
  return parse_http_date(*value);
}

enum class Precondition { Proceed, Failed, NotModified };

// RFC 9110 §13.2.2, steps 1 to 4, for GET and HEAD (step 5, If-Range, is `range_applies`).
Precondition evaluate_preconditions(const http::HeaderMap& headers, std::string_view etag,
                                    std::int64_t mtime) {
  if (headers.contains("If-Match")) {
    // §13.1.1: If-Match uses the strong comparison.
    if (!etag_list_matches(headers.joined("If-Match"), etag, EtagComparison::Strong)) {
      return Precondition::Failed;
    }
  } else if (const auto since = single_date(headers, "If-Unmodified-Since")) {
    if (mtime > *since) {
      return Precondition::Failed;
    }
  }

  if (headers.contains("If-None-Match")) {
    // §13.1.2: If-None-Match uses the weak comparison; on GET and HEAD a match is a 304.
    if (etag_list_matches(headers.joined("If-None-Match"), etag, EtagComparison::Weak)) {
      return Precondition::NotModified;
    }
  } else if (const auto since = single_date(headers, "If-Modified-Since")) {
    // §13.1.3: evaluated only without If-None-Match; "not modified" means not after the date.
    if (mtime <= *since) {
      return Precondition::NotModified;
    }
  }
  return Precondition::Proceed;
}

// RFC 9110 §13.1.5: Range counts only if If-Range is absent or names the current
// representation, by a strong entity-tag or exactly its Last-Modified date. Otherwise the
// client's partial copy is stale and it needs the whole file.
bool range_applies(const http::HeaderMap& headers, std::string_view etag, std::int64_t mtime) {
  const auto if_range = headers.get("If-Range");
  if (!if_range) {
    return true;
  }
  if (if_range->starts_with('"') || if_range->starts_with("W/")) {
    // A weak tag never matches: the comparison is strong.
    return *if_range == etag;
  }
  const auto date = parse_http_date(*if_range);
  return date && *date == mtime;
}

// The answer for a regular file that was found: 200, 206, 304, 412 or 416.
FileResponse respond_with_file(const http::RequestHead& request, UniqueFd file,
                               const struct stat& info, std::string_view content_type) {
  const bool is_head = request.method == "HEAD";
  const auto size = static_cast<std::uint64_t>(info.st_size);
  const std::int64_t mtime = info.st_mtim.tv_sec;
  const auto etag = make_etag(mtime, size);
  const auto last_modified = format_http_date(mtime);

  switch (evaluate_preconditions(request.headers, etag, mtime)) {
    case Precondition::Failed:
      return text_response(412, is_head);
    case Precondition::NotModified: {
      FileResponse response;
      response.head.status = 304;
      response.head.reason = std::string(http::reason_phrase(304));
      // RFC 9110 §15.4.5: a 304 carries the validators a 200 would have carried.
      response.head.headers.add("ETag", etag);
      if (!last_modified.empty()) {
        response.head.headers.add("Last-Modified", last_modified);
      }
      response.head_only = true;
      return response;
    }
    case Precondition::Proceed:
      break;
  }

  // RFC 9110 §14.2: GET is the only method with range semantics, so HEAD ignores Range and
  // describes the whole file.
  RangeDecision range;
  if (!is_head && request.headers.count("Range") == 1 &&
      range_applies(request.headers, etag, mtime)) {
    range = decide_range(*request.headers.get("Range"), size);
  }

  if (range.kind == RangeDecision::Kind::Unsatisfiable) {
    auto response = text_response(416, is_head);
    // RFC 9110 §14.4: a 416 names the current length in "bytes */length".
    response.head.headers.add("Content-Range", fmt::format("bytes */{}", size));
    response.head.headers.add("Accept-Ranges", "bytes");
    return response;
  }

  FileResponse response;
  const bool is_partial = range.kind == RangeDecision::Kind::Partial;
  response.head.status = is_partial ? 206 : 200;
  response.head.reason = std::string(http::reason_phrase(response.head.status));
  response.offset = is_partial ? range.first : 0;
  response.length = is_partial ? range.length : size;

  auto& headers = response.head.headers;
  headers.reserve(6);
  headers.add("Content-Type", content_type);
  headers.add("Content-Length", decimal(response.length));
  if (!last_modified.empty()) {
    headers.add("Last-Modified", last_modified);
  }
  headers.add("ETag", etag);
  headers.add("Accept-Ranges", "bytes");
  if (is_partial) {
    headers.add("Content-Range",
                fmt::format("bytes {}-{}/{}", range.first, range.first + range.length - 1, size));
  }

  response.head_only = is_head;
  if (!is_head) {
    response.file = std::move(file);
  }
  return response;
}

}  // namespace

FileServer::FileServer(std::filesystem::path root, UniqueFd root_fd, std::vector<std::string> index,
                       bool use_openat2)
    : root_(std::move(root)),
      root_fd_(std::move(root_fd)),
      index_(std::move(index)),
      use_openat2_(use_openat2) {}

Result<FileServer> FileServer::create(FileServerOptions options) {
  const auto config_error = [](std::string context) {
    return Error{ErrorKind::Config, Side::Config, false, std::move(context)};
  };

  for (const auto& name : options.index) {
    if (name.empty() || name == "." || name == ".." ||
        name.find_first_of(std::string_view("/\0", 2)) != std::string::npos) {
      return config_error(fmt::format("invalid index file name \"{}\"", name));
    }
  }

  std::error_code error;
  auto root = std::filesystem::canonical(options.root, error);
  if (error) {
    return config_error(fmt::format("file root {}: {}", options.root.string(), error.message()));
  }
  UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) {
    return config_error(
        fmt::format("file root {}: {}", root.string(), std::generic_category().message(errno)));
  }

  // Probe openat2 once, here, rather than on every request. ENOSYS: kernel older than 5.6;
  // EPERM: a seccomp filter (older container runtimes) that does not know the call; EINVAL:
  // a kernel that does not know one of the RESOLVE_ flags.
  bool use_openat2 = false;
  if (options.allow_openat2) {
    UniqueFd probe(openat2_beneath(root_fd.get(), "."));
    use_openat2 = probe.valid() || (errno != ENOSYS && errno != EPERM && errno != EINVAL);
  }
  return FileServer(std::move(root), std::move(root_fd), std::move(options.index), use_openat2);
}

FileServer::OpenedFile FileServer::open_beneath(const std::string& relative) const {
  if (!use_openat2_) {
    return open_and_verify(relative);
  }

  OpenedFile opened;
  for (int attempt = 0; attempt < kOpenat2Attempts; ++attempt) {
    opened.fd.reset(openat2_beneath(root_fd_.get(), relative.c_str()));
    if (opened.fd.valid() || errno != EAGAIN) {
      break;
    }
  }
  if (!opened.fd.valid()) {
    // EXDEV: the lookup would have left the root, which an absolute symlink to a file inside
    // the root also does; only the verified path can tell those apart.
    if (errno == EXDEV || errno == EAGAIN) {
      return open_and_verify(relative);
    }
    opened.error = errno;
    return opened;
  }
  if (::fstat(opened.fd.get(), &opened.info) != 0) {
    opened.error = errno;
    opened.fd.reset();
  }
  return opened;
}

FileServer::OpenedFile FileServer::open_and_verify(const std::string& relative) const {
  OpenedFile opened;
  // O_PATH opens nothing for I/O, so following a symlink to a device or FIFO outside the
  // root has no side effect before the check below refuses it.
  UniqueFd handle(::openat(root_fd_.get(), relative.c_str(), O_PATH | O_CLOEXEC));
  if (!handle.valid()) {
    opened.error = errno;
    return opened;
  }

  // The kernel's name for what was actually opened, every symlink resolved. It cannot be
  // swapped afterwards: the check and the reopen below both go through this descriptor.
  const auto self = fmt::format("/proc/self/fd/{}", handle.get());
  char resolved[PATH_MAX];
  const auto length = ::readlink(self.c_str(), resolved, sizeof(resolved));
  if (length < 0) {
    // Without /proc the check cannot be made: an internal failure (500), never a 404 that
    // would hide a misconfigured host.
    opened.error = EIO;
    return opened;
  }
  if (static_cast<std::size_t>(length) == sizeof(resolved)) {
    opened.error = ENAMETOOLONG;
    return opened;
  }
  if (!is_inside(root_.native(), std::string_view(resolved, static_cast<std::size_t>(length)))) {
    opened.error = EXDEV;
    return opened;
  }

  if (::fstat(handle.get(), &opened.info) != 0) {
    opened.error = errno;
    return opened;
  }
  if (!S_ISREG(opened.info.st_mode)) {
    // Directories are only looked at, never read: the O_PATH descriptor is enough.
    opened.fd = std::move(handle);
    return opened;
  }
  opened.fd.reset(::open(self.c_str(), kOpenFlags));
  if (!opened.fd.valid()) {
    opened.error = errno;
  }
  return opened;
}

FileResponse FileServer::respond(const http::RequestHead& request) const {
  // RFC 9110 §9.1: method names are case-sensitive.
  const bool is_head = request.method == "HEAD";
  if (!is_head && request.method != "GET") {
    auto response = text_response(405, false);
    // RFC 9110 §15.5.6: a 405 must list the methods the resource supports.
    response.head.headers.add("Allow", "GET, HEAD");
    return response;
  }

  auto path = parse_request_path(request.target);
  if (!path) {
    return text_response(400, is_head);
  }

  if (path->has_trailing_slash || path->relative.empty()) {
    // A directory was asked for: serve its first index file. The directory itself is never
    // opened; a missing directory and one without an index both end in 404, and there is
    // no listing.
    for (const auto& name : index_) {
      const auto candidate = path->relative.empty() ? name : path->relative + '/' + name;
      auto opened = open_beneath(candidate);
      if (opened.error == 0 && S_ISREG(opened.info.st_mode)) {
        return respond_with_file(request, std::move(opened.fd), opened.info,
                                 content_type_for(name));
      }
      if (opened.error != 0 && status_for_errno(opened.error) != 404) {
        return text_response(status_for_errno(opened.error), is_head);
      }
    }
    return text_response(404, is_head);
  }

  auto opened = open_beneath(path->relative);
  if (opened.error != 0) {
    return text_response(status_for_errno(opened.error), is_head);
  }
  if (S_ISDIR(opened.info.st_mode)) {
    // Relative links in the index page resolve against the URL, so it must end in '/'.
    // The Location is rebuilt from the decoded path, so it is normalised and safe to send.
    auto response = text_response(301, is_head);
    auto location = '/' + encode_path(path->relative) + '/';
    if (path->query) {
      location += '?' + encode_query(*path->query);
    }
    response.head.headers.add("Location", location);
    return response;
  }
  if (!S_ISREG(opened.info.st_mode)) {
    // FIFOs, sockets and devices have no content to serve; say nothing about them.
    return text_response(404, is_head);
  }
  return respond_with_file(request, std::move(opened.fd), opened.info,
                           content_type_for(path->relative));
}

}  // namespace river::files

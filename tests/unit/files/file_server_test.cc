#include "files/file_server.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <utility>

namespace river::files {
namespace {

namespace fs = std::filesystem;

// 0x6553f100; "Tue, 14 Nov 2023 22:13:20 GMT".
constexpr std::int64_t kMtime = 1700000000;
constexpr std::string_view kMtimeDate = "Tue, 14 Nov 2023 22:13:20 GMT";
constexpr std::string_view kEarlierDate = "Tue, 14 Nov 2023 22:13:19 GMT";
constexpr std::string_view kLaterDate = "Tue, 14 Nov 2023 22:13:21 GMT";
constexpr std::string_view kHello = "Hello, River!\n";  // 14 bytes
constexpr std::string_view kHelloEtag = "\"6553f100-e\"";
constexpr std::string_view kDataEtag = "\"6553f100-3e8\"";  // data.bin: 1000 bytes
constexpr std::string_view kSecret = "TOP SECRET\n";

using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

http::RequestHead make_request(std::string_view method, std::string_view target,
                               Fields fields = {}) {
  http::RequestHead request;
  request.method = std::string(method);
  request.target = std::string(target);
  for (const auto& [name, value] : fields) {
    request.headers.add(name, value);
  }
  return request;
}

std::string field(const FileResponse& response, std::string_view name) {
  return std::string(response.head.headers.get(name).value_or("<absent>"));
}

// What the connection layer would send as content: `length` bytes of `file` from `offset`,
// or `body` when there is no file.
std::string content(const FileResponse& response) {
  if (!response.file.valid()) {
    return response.body;
  }
  std::string out(response.length, '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const auto n = ::pread(response.file.get(), out.data() + done, out.size() - done,
                           static_cast<off_t>(response.offset + done));
    if (n <= 0) {
      ADD_FAILURE() << "pread stopped after " << done << " of " << out.size() << " bytes";
      out.resize(done);
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  return out;
}

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
  out.close();
  const timespec times[2] = {{kMtime, 0}, {kMtime, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

std::string data_bytes() {
  std::string data(1000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<char>((i * 7 + 3) % 256);
  }
  return data;
}

// The tree every test serves from:
//   base/root/        the served root: files, sub/index.html, symlinks in and out, a FIFO
//   base/outside/     secret.txt, which must never be served
//   base/rootx/       secret.txt, a sibling whose name starts with the root's name
//   base/rootlink     symlink to base/root
// Parameterised over the openat2 path and the portable open-then-verify path.
class FileServerTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "river-files-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    base_ = fs::canonical(pattern);
    root_ = base_ / "root";
    const auto outside = base_ / "outside";
    fs::create_directories(root_ / "sub");
    fs::create_directories(root_ / "noindex");
    fs::create_directories(root_ / "a b");
    fs::create_directories(outside);
    fs::create_directories(base_ / "rootx");

    write_file(root_ / "index.html", "<h1>root</h1>\n");
    write_file(root_ / "hello.txt", kHello);
    write_file(root_ / "data.bin", data_bytes());
    write_file(root_ / "empty.txt", "");
    write_file(root_ / "README.md", "# River\n");
    write_file(root_ / "app.js", "export {};\n");
    write_file(root_ / "photo.JPG", "jpeg");
    write_file(root_ / "noext", "raw");
    write_file(root_ / "sub" / "index.html", "<h1>sub</h1>\n");
    write_file(root_ / "sub" / "style.css", "body {}\n");
    write_file(root_ / "noindex" / "file.txt", "not an index\n");
    write_file(root_ / "a b" / "index.html", "space\n");
    write_file(outside / "secret.txt", kSecret);
    write_file(base_ / "rootx" / "secret.txt", kSecret);

    fs::create_symlink("hello.txt", root_ / "link_inside");
    fs::create_symlink(root_ / "hello.txt", root_ / "link_inside_abs");
    fs::create_symlink("../hello.txt", root_ / "sub" / "link_up_inside");
    fs::create_symlink("../outside/secret.txt", root_ / "link_outside");
    fs::create_symlink(outside / "secret.txt", root_ / "link_outside_abs");
    fs::create_symlink("../outside", root_ / "dir_outside");
    fs::create_symlink("../rootx/secret.txt", root_ / "link_sibling");
    fs::create_symlink("/proc/self/root" + (outside / "secret.txt").string(), root_ / "link_magic");
    fs::create_symlink("loop_b", root_ / "loop_a");
    fs::create_symlink("loop_a", root_ / "loop_b");
    fs::create_symlink(root_, base_ / "rootlink");
    ASSERT_EQ(::mkfifo((root_ / "fifo").c_str(), 0644), 0);

    server_ = make_server({"index.html"});
  }

  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(base_, ignored);
  }

  std::optional<FileServer> make_server(std::vector<std::string> index) {
    auto created = FileServer::create(FileServerOptions{root_, std::move(index), GetParam()});
    if (!created) {
      ADD_FAILURE() << "create failed: " << created.error().context;
      return std::nullopt;
    }
    return std::move(*created);
  }

  FileResponse get(std::string_view target, Fields fields = {}) {
    return server_->respond(make_request("GET", target, fields));
  }
  FileResponse head(std::string_view target, Fields fields = {}) {
    return server_->respond(make_request("HEAD", target, fields));
  }

  fs::path base_;
  fs::path root_;
  std::optional<FileServer> server_;
};

INSTANTIATE_TEST_SUITE_P(Open, FileServerTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Openat2" : "Verified"; });

// Checks the text error answer every 4xx shares.
void expect_text_error(const FileResponse& response, int status, std::string_view target) {
  SCOPED_TRACE(std::string(target));
  EXPECT_EQ(response.head.status, status);
  EXPECT_FALSE(response.file.valid());
  EXPECT_EQ(field(response, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(field(response, "Content-Length"), std::to_string(response.body.size()));
  EXPECT_FALSE(response.body.empty());
  EXPECT_EQ(response.body.find("SECRET"), std::string::npos);
}

// --- Plain GET and HEAD -----------------------------------------------------------------

TEST_P(FileServerTest, ServesFileWithValidators) {
  const auto response = get("/hello.txt");
  EXPECT_EQ(response.head.status, 200);
  EXPECT_EQ(response.head.reason, "OK");
  EXPECT_EQ(field(response, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(field(response, "Content-Length"), "14");
  EXPECT_EQ(field(response, "Last-Modified"), kMtimeDate);
  EXPECT_EQ(field(response, "ETag"), kHelloEtag);
  EXPECT_EQ(field(response, "Accept-Ranges"), "bytes");
  EXPECT_FALSE(response.head.headers.contains("Date"));
  EXPECT_FALSE(response.head.headers.contains("Server"));
  EXPECT_FALSE(response.head_only);
  ASSERT_TRUE(response.file.valid());
  EXPECT_EQ(response.offset, 0u);
  EXPECT_EQ(response.length, 14u);
  EXPECT_EQ(content(response), kHello);
}

TEST_P(FileServerTest, HeadDescribesTheGetWithoutBody) {
  const auto get_response = get("/data.bin");
  const auto response = head("/data.bin");
  EXPECT_EQ(response.head.status, 200);
  EXPECT_TRUE(response.head_only);
  EXPECT_FALSE(response.file.valid());
  EXPECT_EQ(response.length, 1000u);
  EXPECT_EQ(field(response, "Content-Length"), "1000");
  ASSERT_EQ(response.head.headers.size(), get_response.head.headers.size());
  auto it = get_response.head.headers.begin();
  for (const auto& header : response.head.headers) {
    EXPECT_EQ(header.name, it->name);
    EXPECT_EQ(header.value, it->value);
    ++it;
  }
}

TEST_P(FileServerTest, RejectsOtherMethodsWith405) {
  for (const auto* method : {"POST", "PUT", "DELETE", "OPTIONS", "get", "Head"}) {
    const auto response = server_->respond(make_request(method, "/hello.txt"));
    expect_text_error(response, 405, method);
    EXPECT_EQ(field(response, "Allow"), "GET, HEAD");
    EXPECT_EQ(response.body, "405 Method Not Allowed\n");
  }
}

TEST_P(FileServerTest, IgnoresQueryAndFragment) {
  EXPECT_EQ(content(get("/hello.txt?download=1&x=%2F..")), kHello);
  EXPECT_EQ(content(get("/hello.txt#top")), kHello);
}

TEST_P(FileServerTest, AcceptsAbsoluteForm) {
  EXPECT_EQ(content(get("http://example.com/hello.txt?q=1")), kHello);
  EXPECT_EQ(content(get("HTTPS://example.com:8443/sub/")), "<h1>sub</h1>\n");
  EXPECT_EQ(content(get("http://example.com")), "<h1>root</h1>\n");
  EXPECT_EQ(content(get("http://example.com?q")), "<h1>root</h1>\n");
}

TEST_P(FileServerTest, RejectsOtherTargetForms) {
  for (const auto* target : {"*", "example.com:443", "ftp://example.com/hello.txt", "", "hello.txt",
                             "http:///hello.txt"}) {
    expect_text_error(get(target), 400, target);
  }
}

TEST_P(FileServerTest, DecodesPercentEscapes) {
  EXPECT_EQ(content(get("/h%65llo.txt")), kHello);
  EXPECT_EQ(content(get("/%68%65%6C%6c%6f.txt")), kHello);
  EXPECT_EQ(content(get("/a%20b/")), "space\n");
}

TEST_P(FileServerTest, RejectsInvalidEscapes) {
  for (const auto* target :
       {"/hello%2.txt", "/hello%zz.txt", "/hello.txt%", "/%", "/%2", "/%g0", "/%%41"}) {
    expect_text_error(get(target), 400, target);
  }
}

TEST_P(FileServerTest, ResolvesDotSegmentsInsideRoot) {
  EXPECT_EQ(content(get("/sub/../hello.txt")), kHello);
  EXPECT_EQ(content(get("/./hello.txt")), kHello);
  EXPECT_EQ(content(get("//hello.txt")), kHello);
  EXPECT_EQ(content(get("/sub/%2e%2e/hello.txt")), kHello);
  EXPECT_EQ(content(get("/noindex/./../sub/.")), "<h1>sub</h1>\n");
}

// --- Traversal ----------------------------------------------------------------------------

TEST_P(FileServerTest, RefusesTraversalAttempts) {
  for (const auto* target : {
           "/../etc/passwd",
           "/..",
           "/../",
           "/%2e%2e/secret",
           "/%2E%2E/outside/secret.txt",
           "/.%2e/outside/secret.txt",
           "/a/%2F..",
           "/..%2fsecret",
           "/%2e%2e%2f",
           "/%2e%2e%2foutside%2fsecret.txt",
           "/sub/../../x",
           "/sub/../../outside/secret.txt",
           "/sub/%2e%2e/%2e%2e/outside/secret.txt",
           "/./../outside/secret.txt",
           "http://example.com/../outside/secret.txt",
           "/%00",
           "/hello.txt%00.html",
           "/..\\outside\\secret.txt",
           "/sub\\..\\..\\outside\\secret.txt",
           "/%5c..%5coutside%5csecret.txt",
           "/..%5c..%5coutside/secret.txt",
           "/sub/..%5C..%5Coutside/secret.txt",
       }) {
    expect_text_error(get(target), 400, target);
  }
}

// --- Symlinks and special files -----------------------------------------------------------

TEST_P(FileServerTest, FollowsSymlinksThatStayInside) {
  EXPECT_EQ(content(get("/link_inside")), kHello);
  EXPECT_EQ(content(get("/link_inside_abs")), kHello);
  EXPECT_EQ(content(get("/sub/link_up_inside")), kHello);
}

TEST_P(FileServerTest, RefusesSymlinksLeadingOutside) {
  for (const auto* target :
       {"/link_outside", "/link_outside_abs", "/dir_outside/secret.txt", "/dir_outside/",
        "/dir_outside", "/link_sibling", "/link_magic", "/loop_a"}) {
    expect_text_error(get(target), 404, target);
  }
}

TEST_P(FileServerTest, RefusesNonRegularFiles) {
  // A FIFO with no writer: opening it must not block, and there is nothing to serve.
  expect_text_error(get("/fifo"), 404, "/fifo");
}

TEST_P(FileServerTest, AnswersForbiddenForUnreadableFile) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root reads files whatever their mode";
  }
  write_file(root_ / "locked.txt", "locked\n");
  fs::permissions(root_ / "locked.txt", fs::perms::none);
  expect_text_error(get("/locked.txt"), 403, "/locked.txt");
}

TEST_P(FileServerTest, MissingFileIs404) {
  const auto response = get("/nope.txt");
  expect_text_error(response, 404, "/nope.txt");
  EXPECT_EQ(response.body, "404 Not Found\n");
  EXPECT_EQ(field(response, "Content-Length"), "14");

  const auto head_response = head("/nope.txt");
  EXPECT_EQ(head_response.head.status, 404);
  EXPECT_TRUE(head_response.head_only);
  EXPECT_EQ(field(head_response, "Content-Length"), "14");
}

// --- Directories --------------------------------------------------------------------------

TEST_P(FileServerTest, RedirectsDirectoryWithoutSlash) {
  const auto response = get("/sub");
  EXPECT_EQ(response.head.status, 301);
  EXPECT_EQ(field(response, "Location"), "/sub/");
  EXPECT_EQ(field(response, "Content-Length"), std::to_string(response.body.size()));
  EXPECT_FALSE(response.file.valid());

  EXPECT_EQ(field(get("/sub?x=1&y"), "Location"), "/sub/?x=1&y");
  EXPECT_EQ(field(get("/sub?"), "Location"), "/sub/?");
  EXPECT_EQ(field(get("/a%20b"), "Location"), "/a%20b/");
  EXPECT_EQ(field(get("/hello.txt/../sub"), "Location"), "/sub/");
  EXPECT_EQ(field(get("http://example.com/noindex?q"), "Location"), "/noindex/?q");

  const auto head_response = head("/sub");
  EXPECT_EQ(head_response.head.status, 301);
  EXPECT_TRUE(head_response.head_only);
}

TEST_P(FileServerTest, ServesIndexForDirectoryWithSlash) {
  const auto response = get("/sub/");
  EXPECT_EQ(response.head.status, 200);
  EXPECT_EQ(field(response, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(field(response, "Content-Length"), "13");
  EXPECT_EQ(content(response), "<h1>sub</h1>\n");
  EXPECT_EQ(content(get("/")), "<h1>root</h1>\n");
  EXPECT_EQ(content(get("/sub/.")), "<h1>sub</h1>\n");
  EXPECT_EQ(content(get("/sub//")), "<h1>sub</h1>\n");
}

TEST_P(FileServerTest, DirectoryWithoutIndexIs404) {
  expect_text_error(get("/noindex/"), 404, "/noindex/");
  expect_text_error(get("/missing/"), 404, "/missing/");
  expect_text_error(get("/hello.txt/"), 404, "/hello.txt/");
}

TEST_P(FileServerTest, TriesIndexFilesInOrder) {
  auto server = make_server({"missing.html", "style.css", "index.html"});
  ASSERT_TRUE(server);
  const auto response = server->respond(make_request("GET", "/sub/"));
  EXPECT_EQ(response.head.status, 200);
  EXPECT_EQ(field(response, "Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(content(response), "body {}\n");
}

// --- Content-Type -------------------------------------------------------------------------

TEST_P(FileServerTest, ChoosesContentTypeByExtension) {
  EXPECT_EQ(field(get("/README.md"), "Content-Type"), "text/markdown; charset=utf-8");
  EXPECT_EQ(field(get("/app.js"), "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(field(get("/photo.JPG"), "Content-Type"), "image/jpeg");
  EXPECT_EQ(field(get("/noext"), "Content-Type"), "application/octet-stream");
  EXPECT_EQ(field(get("/data.bin"), "Content-Type"), "application/octet-stream");
  // A symlink is typed by the name in the URL.
  EXPECT_EQ(field(get("/link_inside"), "Content-Type"), "application/octet-stream");
}

// --- Conditional requests -----------------------------------------------------------------

void expect_not_modified(const FileResponse& response) {
  EXPECT_EQ(response.head.status, 304);
  EXPECT_TRUE(response.head_only);
  EXPECT_FALSE(response.file.valid());
  EXPECT_EQ(field(response, "ETag"), kHelloEtag);
  EXPECT_EQ(field(response, "Last-Modified"), kMtimeDate);
  EXPECT_FALSE(response.head.headers.contains("Content-Length"));
}

TEST_P(FileServerTest, IfNoneMatchGives304) {
  expect_not_modified(get("/hello.txt", {{"If-None-Match", kHelloEtag}}));
  expect_not_modified(get("/hello.txt", {{"If-None-Match", "W/\"6553f100-e\""}}));
  expect_not_modified(get("/hello.txt", {{"If-None-Match", "\"a,b\", \"6553f100-e\""}}));
  expect_not_modified(get("/hello.txt", {{"If-None-Match", "*"}}));
  expect_not_modified(
      get("/hello.txt", {{"If-None-Match", "\"x\""}, {"If-None-Match", kHelloEtag}}));
  expect_not_modified(head("/hello.txt", {{"If-None-Match", kHelloEtag}}));

  const auto changed = get("/hello.txt", {{"If-None-Match", "\"6553f100-f\""}});
  EXPECT_EQ(changed.head.status, 200);
  EXPECT_EQ(content(changed), kHello);
}

TEST_P(FileServerTest, IfModifiedSinceGives304WhenNotModified) {
  expect_not_modified(get("/hello.txt", {{"If-Modified-Since", kMtimeDate}}));
  expect_not_modified(get("/hello.txt", {{"If-Modified-Since", kLaterDate}}));
  // The two obsolete date forms a recipient must accept (RFC 9110 §5.6.7).
  expect_not_modified(
      get("/hello.txt", {{"If-Modified-Since", "Tuesday, 14-Nov-23 22:13:20 GMT"}}));
  expect_not_modified(get("/hello.txt", {{"If-Modified-Since", "Tue Nov 14 22:13:20 2023"}}));

  EXPECT_EQ(get("/hello.txt", {{"If-Modified-Since", kEarlierDate}}).head.status, 200);
  EXPECT_EQ(get("/hello.txt", {{"If-Modified-Since", "yesterday"}}).head.status, 200);
}

TEST_P(FileServerTest, IfNoneMatchOverridesIfModifiedSince) {
  const auto response =
      get("/hello.txt", {{"If-None-Match", "\"other\""}, {"If-Modified-Since", kLaterDate}});
  EXPECT_EQ(response.head.status, 200);
  EXPECT_EQ(content(response), kHello);
}

TEST_P(FileServerTest, IfMatchFailureGives412) {
  expect_text_error(get("/hello.txt", {{"If-Match", "\"other\""}}), 412, "other");
  // If-Match uses the strong comparison: a weak tag never matches.
  expect_text_error(get("/hello.txt", {{"If-Match", "W/\"6553f100-e\""}}), 412, "weak");
  // Precondition failure comes before If-None-Match (RFC 9110 §13.2.2).
  expect_text_error(get("/hello.txt", {{"If-Match", "\"other\""}, {"If-None-Match", kHelloEtag}}),
                    412, "both");
  EXPECT_EQ(head("/hello.txt", {{"If-Match", "\"other\""}}).head.status, 412);

  EXPECT_EQ(get("/hello.txt", {{"If-Match", kHelloEtag}}).head.status, 200);
  EXPECT_EQ(get("/hello.txt", {{"If-Match", "\"x\", \"6553f100-e\""}}).head.status, 200);
  EXPECT_EQ(get("/hello.txt", {{"If-Match", "*"}}).head.status, 200);
}

TEST_P(FileServerTest, IfUnmodifiedSinceFailureGives412) {
  expect_text_error(get("/hello.txt", {{"If-Unmodified-Since", kEarlierDate}}), 412, "earlier");
  EXPECT_EQ(get("/hello.txt", {{"If-Unmodified-Since", kMtimeDate}}).head.status, 200);
  EXPECT_EQ(get("/hello.txt", {{"If-Unmodified-Since", "garbage"}}).head.status, 200);
  // Ignored when If-Match is present.
  EXPECT_EQ(get("/hello.txt", {{"If-Match", kHelloEtag}, {"If-Unmodified-Since", kEarlierDate}})
                .head.status,
            200);
}

// --- Ranges -------------------------------------------------------------------------------

struct RangeCase {
  std::string_view range;
  std::string_view content_range;
  std::uint64_t first;
  std::uint64_t length;
};

TEST_P(FileServerTest, ServesSingleRanges) {
  const auto data = data_bytes();
  for (const auto& c : {
           RangeCase{"bytes=0-99", "bytes 0-99/1000", 0, 100},
           RangeCase{"bytes=990-", "bytes 990-999/1000", 990, 10},
           RangeCase{"bytes=-10", "bytes 990-999/1000", 990, 10},
           RangeCase{"bytes=-2000", "bytes 0-999/1000", 0, 1000},
           RangeCase{"bytes=500-5000", "bytes 500-999/1000", 500, 500},
           RangeCase{"bytes=999-999", "bytes 999-999/1000", 999, 1},
           RangeCase{"bytes=0-0", "bytes 0-0/1000", 0, 1},
           RangeCase{"BYTES=10-19", "bytes 10-19/1000", 10, 10},
           RangeCase{"bytes=10-19, ,", "bytes 10-19/1000", 10, 10},
       }) {
    SCOPED_TRACE(std::string(c.range));
    const auto response = get("/data.bin", {{"Range", c.range}});
    EXPECT_EQ(response.head.status, 206);
    EXPECT_EQ(response.head.reason, "Partial Content");
    EXPECT_EQ(field(response, "Content-Range"), c.content_range);
    EXPECT_EQ(field(response, "Content-Length"), std::to_string(c.length));
    EXPECT_EQ(field(response, "Accept-Ranges"), "bytes");
    EXPECT_EQ(field(response, "ETag"), kDataEtag);
    EXPECT_EQ(response.offset, c.first);
    EXPECT_EQ(response.length, c.length);
    EXPECT_EQ(content(response), data.substr(c.first, c.length));
  }
}

TEST_P(FileServerTest, UnsatisfiableRangeGives416) {
  for (const auto* range : {"bytes=1000-", "bytes=1000-2000", "bytes=-0", "bytes=5000-5001"}) {
    const auto response = get("/data.bin", {{"Range", range}});
    expect_text_error(response, 416, range);
    EXPECT_EQ(field(response, "Content-Range"), "bytes */1000");
    EXPECT_EQ(response.body, "416 Range Not Satisfiable\n");
  }
}

TEST_P(FileServerTest, IgnoresMalformedAndMultipleRanges) {
  for (const auto* range : {"bytes=abc", "bytes=5-1", "items=0-1", "bytes 0-1", "bytes=--1",
                            "bytes=1-2-3", "bytes=", "bytes=0-1,5-6", "bytes=0-1, -5", "bytes=+1-2",
                            "bytes=0-99999999999999999999999"}) {
    SCOPED_TRACE(range);
    const auto response = get("/data.bin", {{"Range", range}});
    EXPECT_EQ(response.head.status, 200);
    EXPECT_FALSE(response.head.headers.contains("Content-Range"));
    EXPECT_EQ(field(response, "Content-Length"), "1000");
    EXPECT_EQ(response.length, 1000u);
  }
  const auto two_fields = get("/data.bin", {{"Range", "bytes=0-1"}, {"Range", "bytes=3-4"}});
  EXPECT_EQ(two_fields.head.status, 200);
}

TEST_P(FileServerTest, HeadIgnoresRange) {
  const auto response = head("/data.bin", {{"Range", "bytes=0-9"}});
  EXPECT_EQ(response.head.status, 200);
  EXPECT_EQ(field(response, "Content-Length"), "1000");
  EXPECT_FALSE(response.head.headers.contains("Content-Range"));
}

TEST_P(FileServerTest, EmptyFileIgnoresRange) {
  const auto response = get("/empty.txt", {{"Range", "bytes=0-9"}});
  EXPECT_EQ(response.head.status, 200);
  EXPECT_EQ(field(response, "Content-Length"), "0");
  EXPECT_EQ(response.length, 0u);
}

TEST_P(FileServerTest, IfRangeHonoursRangeOnlyWhenCurrent) {
  const auto with_if_range = [&](std::string_view if_range) {
    return get("/data.bin", {{"Range", "bytes=0-9"}, {"If-Range", if_range}}).head.status;
  };
  EXPECT_EQ(with_if_range(kDataEtag), 206);
  EXPECT_EQ(with_if_range(kMtimeDate), 206);
  EXPECT_EQ(with_if_range("\"other\""), 200);
  EXPECT_EQ(with_if_range("W/\"6553f100-3e8\""), 200);
  EXPECT_EQ(with_if_range(kEarlierDate), 200);
  EXPECT_EQ(with_if_range(kLaterDate), 200);
  EXPECT_EQ(with_if_range("not a validator"), 200);

  const auto stale = get("/data.bin", {{"Range", "bytes=0-9"}, {"If-Range", "\"old\""}});
  EXPECT_EQ(field(stale, "Content-Length"), "1000");
  EXPECT_EQ(content(stale), data_bytes());
}

TEST_P(FileServerTest, PreconditionsComeBeforeRange) {
  const auto response = get("/hello.txt", {{"Range", "bytes=0-1"}, {"If-None-Match", kHelloEtag}});
  expect_not_modified(response);
  EXPECT_EQ(get("/hello.txt", {{"Range", "bytes=0-1"}, {"If-Match", "\"x\""}}).head.status, 412);
}

// --- create -------------------------------------------------------------------------------

TEST_P(FileServerTest, ResolvesRootThroughSymlink) {
  auto created =
      FileServer::create(FileServerOptions{base_ / "rootlink", {"index.html"}, GetParam()});
  ASSERT_TRUE(created);
  EXPECT_EQ(created->root(), root_);
  EXPECT_EQ(content(created->respond(make_request("GET", "/link_inside_abs"))), kHello);
  EXPECT_EQ(created->respond(make_request("GET", "/link_outside")).head.status, 404);
}

TEST_P(FileServerTest, CreateRejectsBadRoot) {
  const auto missing = FileServer::create(FileServerOptions{base_ / "nope", {}, GetParam()});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::Config);
  EXPECT_FALSE(FileServer::create(FileServerOptions{root_ / "hello.txt", {}, GetParam()}));
}

TEST_P(FileServerTest, CreateRejectsBadIndexNames) {
  for (const auto& name : {std::string(""), std::string("."), std::string(".."),
                           std::string("a/index.html"), std::string("a\0b", 3)}) {
    const auto created = FileServer::create(FileServerOptions{root_, {name}, GetParam()});
    ASSERT_FALSE(created) << name;
    EXPECT_EQ(created.error().kind, ErrorKind::Config);
  }
}

}  // namespace
}  // namespace river::files

#include "files/mime_types.h"

#include <gtest/gtest.h>

namespace river::files {
namespace {

TEST(ContentTypeFor, KnowsTheCommonTypes) {
  const std::pair<const char*, const char*> cases[] = {
      {"a.html", "text/html; charset=utf-8"},
      {"a.htm", "text/html; charset=utf-8"},
      {"a.css", "text/css; charset=utf-8"},
      {"a.js", "text/javascript; charset=utf-8"},
      {"a.mjs", "text/javascript; charset=utf-8"},
      {"a.json", "application/json"},
      {"a.txt", "text/plain; charset=utf-8"},
      {"a.xml", "text/xml; charset=utf-8"},
      {"a.svg", "image/svg+xml"},
      {"a.png", "image/png"},
      {"a.jpg", "image/jpeg"},
      {"a.jpeg", "image/jpeg"},
      {"a.gif", "image/gif"},
      {"a.webp", "image/webp"},
      {"a.ico", "image/x-icon"},
      {"a.wasm", "application/wasm"},
      {"a.pdf", "application/pdf"},
      {"a.woff", "font/woff"},
      {"a.woff2", "font/woff2"},
      {"a.ttf", "font/ttf"},
      {"a.mp4", "video/mp4"},
      {"a.webm", "video/webm"},
      {"a.mp3", "audio/mpeg"},
      {"a.zip", "application/zip"},
      {"a.gz", "application/gzip"},
      {"a.tar", "application/x-tar"},
      {"a.csv", "text/csv; charset=utf-8"},
      {"a.md", "text/markdown; charset=utf-8"},
  };
  for (const auto& [name, type] : cases) {
    EXPECT_EQ(content_type_for(name), type) << name;
  }
}

TEST(ContentTypeFor, MatchesLastExtensionCaseInsensitively) {
  EXPECT_EQ(content_type_for("INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("dir/archive.tar.gz"), "application/gzip");
  EXPECT_EQ(content_type_for("some.dir/file"), "application/octet-stream");
}

TEST(ContentTypeFor, DefaultsToOctetStream) {
  for (const auto* name : {"", "file", "file.", "file.exe", ".md", "a/.html", "a.html5"}) {
    EXPECT_EQ(content_type_for(name), "application/octet-stream") << name;
  }
}

}  // namespace
}  // namespace river::files

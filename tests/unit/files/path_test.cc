#include "files/path.h"

#include <gtest/gtest.h>

namespace river::files {
namespace {

struct PathCase {
  std::string_view target;
  std::string_view relative;
  bool has_trailing_slash;
};

TEST(ParseRequestPath, NormalisesPaths) {
  for (const auto& c : {
           PathCase{"/", "", true},
           PathCase{"/a", "a", false},
           PathCase{"/a/", "a", true},
           PathCase{"/a/b/c.txt", "a/b/c.txt", false},
           PathCase{"//a///b", "a/b", false},
           PathCase{"/a/./b", "a/b", false},
           PathCase{"/a/.", "a", true},
           PathCase{"/a/b/..", "a", true},
           PathCase{"/a/b/../c", "a/c", false},
           PathCase{"/a/%2e%2E/c", "c", false},
           PathCase{"/a/..", "", true},
           PathCase{"/%41%62c", "Abc", false},
           PathCase{"/a%20b/c+d", "a b/c+d", false},
           PathCase{"/...", "...", false},
           PathCase{"/.hidden", ".hidden", false},
           PathCase{"/caf%C3%A9", "caf\xC3\xA9", false},
           PathCase{"http://h/x/y?q", "x/y", false},
           PathCase{"http://h", "", true},
       }) {
    SCOPED_TRACE(std::string(c.target));
    const auto parsed = parse_request_path(c.target);
    ASSERT_TRUE(parsed) << parsed.error().context;
    EXPECT_EQ(parsed->relative, c.relative);
    EXPECT_EQ(parsed->has_trailing_slash, c.has_trailing_slash);
  }
}

TEST(ParseRequestPath, SplitsQuery) {
  const auto with_query = parse_request_path("/a?b=%2F&c#frag");
  ASSERT_TRUE(with_query);
  EXPECT_EQ(with_query->relative, "a");
  ASSERT_TRUE(with_query->query);
  EXPECT_EQ(*with_query->query, "b=%2F&c");

  const auto empty_query = parse_request_path("/a?");
  ASSERT_TRUE(empty_query);
  ASSERT_TRUE(empty_query->query);
  EXPECT_EQ(*empty_query->query, "");

  const auto no_query = parse_request_path("/a");
  ASSERT_TRUE(no_query);
  EXPECT_FALSE(no_query->query);
}

TEST(ParseRequestPath, RejectsUnsafePaths) {
  for (const auto* target :
       {"/..",      "/../a",  "/a/../..", "/a/../../b", "/%2e%2e",        "/.%2E/a",   "/a%2Fb",
        "/a%2fb",   "/a%5Cb", "/a%5cb",   "/a\\b",      "/a%00b",         "/%",        "/%4",
        "/%4g",     "/%x1",   "*",        "a/b",        "example.com:80", "ftp://h/a", "http://",
        "http:///a"}) {
    const auto parsed = parse_request_path(target);
    EXPECT_FALSE(parsed) << target;
    if (!parsed) {
      EXPECT_EQ(parsed.error().kind, ErrorKind::InvalidMessage);
      EXPECT_EQ(parsed.error().side, Side::Downstream);
    }
  }
  // A raw NUL cannot come from the parser, but must not slip through either.
  EXPECT_FALSE(parse_request_path(std::string_view("/a\0b", 4)));
}

TEST(EncodePath, EscapesAllButPathCharacters) {
  EXPECT_EQ(encode_path("a b/c%d"), "a%20b/c%25d");
  EXPECT_EQ(encode_path("x\r\ny"), "x%0D%0Ay");
  EXPECT_EQ(encode_path("caf\xC3\xA9"), "caf%C3%A9");
  EXPECT_EQ(encode_path("a?b#c"), "a%3Fb%23c");
  EXPECT_EQ(encode_path("A-z_0.9~!$&'()*+,;=:@/"), "A-z_0.9~!$&'()*+,;=:@/");
}

TEST(EncodeQuery, KeepsEscapesAndEscapesUnsafeBytes) {
  EXPECT_EQ(encode_query("a=1&b=%2F"), "a=1&b=%2F");
  EXPECT_EQ(encode_query("a b\r\n#\x7f\xff"), "a%20b%0D%0A%23%7F%FF");
}

}  // namespace
}  // namespace river::files

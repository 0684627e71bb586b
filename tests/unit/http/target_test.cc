#include "http/target.h"

#include <gtest/gtest.h>

namespace river::http {
namespace {

std::string normalized(std::string_view target) {
  auto out = normalize_target(target);
  return out ? out->origin_form() : "<refused>";
}

TEST(NormalizeTarget, ResolvesDotSegments) {
  EXPECT_EQ(normalized("/public/../admin/x"), "/admin/x");
  EXPECT_EQ(normalized("/./admin/x"), "/admin/x");
  EXPECT_EQ(normalized("/a/b/.."), "/a/");
  EXPECT_EQ(normalized("/a/."), "/a/");
  EXPECT_EQ(normalized("/"), "/");
}

TEST(NormalizeTarget, DecodesUnreservedEscapesBeforeResolving) {
  // Case C15 b, c, f: "%2e" is ".", "%61" is "a".
  EXPECT_EQ(normalized("/public/%2e%2e/admin/x"), "/admin/x");
  EXPECT_EQ(normalized("/public/%2E%2e/admin/x"), "/admin/x");
  EXPECT_EQ(normalized("/%61dmin/x"), "/admin/x");
}

TEST(NormalizeTarget, KeepsOtherEscapesInCanonicalCase) {
  EXPECT_EQ(normalized("/a%3fb%7e%20c"), "/a%3Fb~%20c");
}

TEST(NormalizeTarget, MergesRepeatedSlashes) {
  EXPECT_EQ(normalized("//admin/x"), "/admin/x");
  EXPECT_EQ(normalized("/a//b///c"), "/a/b/c");
}

TEST(NormalizeTarget, RefusesEncodedSeparatorsAndNul) {
  // Case C15 g, h, i, k: never decoded into structure.
  for (const char* target : {"/public/..%2fadmin/x", "/admin%2fx", "/public/..%5cadmin/x",
                             "/public/%2e%2e%2fadmin/x", "/a%00b", "/a\\b"}) {
    EXPECT_EQ(normalized(target), "<refused>") << target;
  }
}

TEST(NormalizeTarget, RefusesMalformedEscapesFragmentsAndClimbingAboveRoot) {
  for (const char* target : {"/a%2", "/a%zz", "/a%", "/x#frag", "/../etc/passwd", "/a/../..",
                             "relative", ""}) {
    EXPECT_EQ(normalized(target), "<refused>") << target;
  }
}

TEST(NormalizeTarget, KeepsTheQueryAsItIs) {
  EXPECT_EQ(normalized("/a/../b?x=%2e%2e/../&y"), "/b?x=%2e%2e/../&y");
  EXPECT_EQ(normalized("/a?"), "/a?");
}

TEST(NormalizeTarget, TurnsAbsoluteFormIntoOriginFormAndAuthority) {
  auto out = normalize_target("http://example.test:8080/a/./b?q=1");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->authority, "example.test:8080");
  EXPECT_EQ(out->origin_form(), "/a/b?q=1");

  auto bare = normalize_target("HTTP://example.test");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->origin_form(), "/");
  EXPECT_FALSE(normalize_target("http://user@example.test/"));
}

TEST(NormalizeTarget, RefusesAbsoluteFormWithAnInvalidAuthority) {
  for (const auto target : {"http://b.test:99999/x", "http://b.test:port/", "http://a b/",
                            "http://:80/", "http://[::1/"}) {
    EXPECT_FALSE(normalize_target(target)) << target;
  }
  EXPECT_TRUE(normalize_target("http://[::1]:65535/x"));
}

TEST(IsValidAuthority, AcceptsHostAndOptionalPort) {
  for (const auto value : {"example.test", "example.test:8080", "EXAMPLE.test:0", "10.0.0.1",
                           "10.0.0.1:443", "[::1]", "[::1]:443", "[v1.fe80::a+en1]", "a-b_c~d",
                           "%41b", "a!$&'()*+,;=", "a:", "a:00080", ""}) {
    EXPECT_TRUE(is_valid_authority(value)) << value;
  }
}

TEST(IsValidAuthority, RefusesWhatIsNotUriHostAndPort) {
  for (const auto value : {"a b", "a/../b", "a@b", "user@a:80", "a:port", "a:99999", "a:65536",
                           "a:-1", "a:1:2", "[::1", "::1]", "[::g]", "[]", "a?b", "a#b", "a\\b",
                           "%4", "%zz", "a\tb", "[::1]x", "\xc3\xa9"}) {
    EXPECT_FALSE(is_valid_authority(value)) << value;
  }
}

TEST(AbsoluteFormAuthority, FindsTheAuthorityOfHttpAndHttpsTargets) {
  EXPECT_EQ(absolute_form_authority("http://b.test:80/x"), "b.test:80");
  EXPECT_EQ(absolute_form_authority("HTTPS://b.test?q"), "b.test");
  EXPECT_EQ(absolute_form_authority("http://b.test"), "b.test");
  EXPECT_FALSE(absolute_form_authority("/x"));
  EXPECT_FALSE(absolute_form_authority("ftp://b.test/"));
}

}  // namespace
}  // namespace river::http

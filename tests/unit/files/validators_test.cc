#include "files/validators.h"

#include <gtest/gtest.h>

namespace river::files {
namespace {

TEST(FormatHttpDate, WritesImfFixdate) {
  EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_http_date(1700000000), "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(format_http_date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(format_http_date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(format_http_date(253402300800), "");  // year 10000
}

TEST(ParseHttpDate, AcceptsAllThreeForms) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), 784111777);
  EXPECT_EQ(parse_http_date("Tue Nov 14 22:13:20 2023"), 1700000000);
  EXPECT_EQ(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
}

TEST(ParseHttpDate, ReadsTwoDigitYearsAsThePast) {
  // RFC 9110 §5.6.7: a year more than 50 years ahead is the previous century.
  // Holds until 2049, when "99" starts to mean 2099.
  EXPECT_EQ(parse_http_date("Friday, 31-Dec-99 23:59:59 GMT"), 946684799);
  EXPECT_EQ(parse_http_date("Tuesday, 14-Nov-23 22:13:20 GMT"), 1700000000);
}

TEST(ParseHttpDate, RejectsInvalidDates) {
  for (const auto* text : {
           "",
           "yesterday",
           "Sun, 06 Nov 1994 08:49:37 UTC",
           "sun, 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 nov 1994 08:49:37 GMT",
           "Sun, 6 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 94 08:49:37 GMT",
           "Sun, 06 Nov 1994 08:49:37 GMT ",
           " Sun, 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 1994 24:00:00 GMT",
           "Sun, 06 Nov 1994 08:60:00 GMT",
           "Sun, 06 Nov 1994 08:49:61 GMT",
           "Thu, 30 Feb 2023 00:00:00 GMT",
           "Thu, 00 Jan 2023 00:00:00 GMT",
           "Sun Nov 6 08:49:37 1994",
           "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
       }) {
    EXPECT_FALSE(parse_http_date(text)) << text;
  }
}

TEST(MakeEtag, UsesHexMtimeAndSize) {
  EXPECT_EQ(make_etag(1700000000, 14), "\"6553f100-e\"");
  EXPECT_EQ(make_etag(0, 0), "\"0-0\"");
}

TEST(EtagListMatches, ComparesStrongAndWeak) {
  constexpr std::string_view tag = "\"abc\"";
  EXPECT_TRUE(etag_list_matches("\"abc\"", tag, EtagComparison::Strong));
  EXPECT_TRUE(etag_list_matches("\"abc\"", tag, EtagComparison::Weak));
  EXPECT_FALSE(etag_list_matches("W/\"abc\"", tag, EtagComparison::Strong));
  EXPECT_TRUE(etag_list_matches("W/\"abc\"", tag, EtagComparison::Weak));
  EXPECT_FALSE(etag_list_matches("\"abcd\"", tag, EtagComparison::Weak));
  EXPECT_FALSE(etag_list_matches("abc", tag, EtagComparison::Weak));
  EXPECT_FALSE(etag_list_matches("", tag, EtagComparison::Weak));
}

TEST(EtagListMatches, ReadsLists) {
  constexpr std::string_view tag = "\"abc\"";
  EXPECT_TRUE(etag_list_matches("*", tag, EtagComparison::Strong));
  EXPECT_TRUE(etag_list_matches(" * ", tag, EtagComparison::Strong));
  EXPECT_TRUE(etag_list_matches("\"x\", \"abc\"", tag, EtagComparison::Strong));
  EXPECT_TRUE(etag_list_matches("\"x\",W/\"abc\"", tag, EtagComparison::Weak));
  EXPECT_TRUE(etag_list_matches(",, \"x\" ,\t\"abc\",", tag, EtagComparison::Strong));
  // A comma inside a tag does not split it.
  EXPECT_FALSE(etag_list_matches("\"x,\"abc\"\"", tag, EtagComparison::Weak));
  EXPECT_TRUE(etag_list_matches("\"a,b\", \"abc\"", tag, EtagComparison::Strong));
  // Reading stops at the first malformed element.
  EXPECT_FALSE(etag_list_matches("\"x\" junk, \"abc\"", tag, EtagComparison::Weak));
  EXPECT_FALSE(etag_list_matches("\"x\", \"abc", tag, EtagComparison::Weak));
}

}  // namespace
}  // namespace river::files

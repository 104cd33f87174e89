// Unit tests of the pre-parse payload checks: UTF-8, curly quote repair, nesting depth.
#include "core/payload_text.hpp"

#include <gtest/gtest.h>

using namespace devicewake::core;

namespace {
const std::string kLeftD = "\xE2\x80\x9C", kRightD = "\xE2\x80\x9D", kLeftS = "\xE2\x80\x98",
                  kRightS = "\xE2\x80\x99";
}

TEST(PayloadText, CurlyQuoteRule) {
  struct Case {
    std::string in, out;
  };
  for (const Case& c : {
           Case{R"({"a":"b"})", R"({"a":"b"})"},
           Case{"{" + kLeftD + "a" + kRightD + ":" + kLeftD + "b" + kRightD + "}", R"({"a":"b"})"},
           Case{"{" + kLeftS + "a" + kRightS + ":" + kLeftS + "b" + kRightS + "}", R"({"a":"b"})"},
           Case{"{" + kRightD + "a\":" + kLeftD + "b" + kLeftD + "}",
                R"({"a":"b"})"},  // sloppy pairs
           Case{"{\"a\":\"say " + kLeftD + "hi" + kRightD + "\"}",
                "{\"a\":\"say " + kLeftD + "hi" + kRightD + "\"}"},
           Case{"{\"a\":\"it" + kRightS + "s\"}", "{\"a\":\"it" + kRightS + "s\"}"},
           Case{"{" + kLeftD + "a" + kRightD + ":" + kLeftD + "it" + kRightS + "s" + kRightD + "}",
                "{\"a\":\"it" + kRightS + "s\"}"},
           Case{"{" + kLeftS + "a" + kRightS + ":" + kLeftS + "x\"y" + kRightS + "}",
                R"({"a":"x\"y"})"},
           Case{"{\"a\":\"x\\\"" + kLeftD + "\"}", "{\"a\":\"x\\\"" + kLeftD + "\"}"},
           Case{"\xE2\x80", "\xE2\x80"},
           Case{"\xE2\x80\x94", "\xE2\x80\x94"},  // em dash is not a quote
       }) {
    EXPECT_EQ(ReplaceCurlyQuotes(c.in), c.out) << c.in;
  }
}

TEST(PayloadText, Utf8) {
  EXPECT_EQ(ValidateUtf8("plain"), "");
  EXPECT_EQ(ValidateUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x93\xB7"), "");
  EXPECT_NE(ValidateUtf8("\xE2\x82"), "");
  EXPECT_NE(ValidateUtf8("\xF4\x90\x80\x80"), "");  // above U+10FFFF
  EXPECT_NE(ValidateUtf8("\xE0\x80\x80"), "");      // overlong
  EXPECT_NE(ValidateUtf8("\xF5\x80\x80\x80"), "");
  EXPECT_EQ(ValidateUtf8("ab\x80"), "payload is not valid UTF-8 (byte 0x80 at offset 2)");
}

TEST(PayloadText, Depth) {
  EXPECT_EQ(CheckJsonDepth(R"({"a":[{"b":1}]})", 3), "");
  EXPECT_EQ(CheckJsonDepth(R"({"a":[{"b":[]}]})", 3), "JSON nests deeper than 3 levels");
  EXPECT_EQ(CheckJsonDepth(R"({"a":"[[[[[[\"[[[["})", 1), "");
}

TEST(PayloadText, CutTopLevelStringCutsTheOneLongValue) {
  const std::string long_value(300, 'A');
  const std::string text =
      "{ \"device_id\":\"X\", \"n\":12,\"o\":{\"payload\":[1,\"}\"]},\r\n\t\"payload\" : \"" +
      long_value + "\" , \"t\":true}";
  CutString cut = CutTopLevelString(text, "payload", 256);
  ASSERT_TRUE(cut.found);
  EXPECT_EQ(cut.value, long_value);
  EXPECT_EQ(cut.rest,
            "{ \"device_id\":\"X\", \"n\":12,\"o\":{\"payload\":[1,\"}\"]},\r\n\t\"payload\" : "
            "\"\" , \"t\":true}");
}

TEST(PayloadText, CutTopLevelStringLeavesEverythingElse) {
  const std::string v(300, 'A');
  for (const std::string& text : {
           "{\"payload\":\"" + v.substr(0, 255) + "\"}",             // shorter than min_length
           "{\"payload\":\"" + v + "\",\"payload\":\"" + v + "\"}",  // twice: which one wins
           "{\"o\":{\"payload\":\"" + v + "\"}}",                    // not top-level
           "{\"payload\":[\"" + v + "\"]}",                          // not a string
           "{\"payload\":\"" + v + "\\u0041\"}",                     // a backslash anywhere
           "{\"a\":\"\xE2\x80\x9C\",\"payload\":\"" + v + "\"}",     // a curly quote
           "{\"payload\":\"" + v + "\t\"}",                          // a raw tab in it
           "{\"payload\":\"" + v + "\x01\"}",                        // a control character
           "[\"payload\",\"" + v + "\"]",                            // not an object
           "{\"payload\" \"" + v + "\"}",                            // no colon
           "{\"payload\":\"" + v + "\" \"x\":1}",                    // no comma
           "{\"payload\":\"" + v,                                    // unterminated
           "{\"x\":,\"payload\":\"" + v + "\"}",                     // a missing value
       }) {
    EXPECT_FALSE(CutTopLevelString(text, "payload", 256).found) << text;
  }
}

// Unit tests of the strict base64 decoder and the encoder used for chunk payloads.
#include "core/base64.hpp"

#include <gtest/gtest.h>

#include <random>

using devicewake::core::DecodeBase64;
using devicewake::core::EncodeBase64;

TEST(Base64, Rfc4648TestVectors) {
  struct Case {
    const char* plain;
    const char* encoded;
  };
  for (const Case& c :
       {Case{"", ""}, Case{"f", "Zg=="}, Case{"fo", "Zm8="}, Case{"foo", "Zm9v"},
        Case{"foob", "Zm9vYg=="}, Case{"fooba", "Zm9vYmE="}, Case{"foobar", "Zm9vYmFy"}}) {
    EXPECT_EQ(EncodeBase64(c.plain), c.encoded);
    auto r = DecodeBase64(c.encoded);
    ASSERT_TRUE(r.ok) << c.encoded << ": " << r.error;
    EXPECT_EQ(r.bytes, c.plain);
  }
}

TEST(Base64, PaddingIsOptionalButMustBeCompleteWhenPresent) {
  EXPECT_EQ(DecodeBase64("Zg").bytes, "f");
  EXPECT_EQ(DecodeBase64("Zm8").bytes, "fo");
  EXPECT_TRUE(DecodeBase64("Zg").ok);
  auto r = DecodeBase64("Zg=");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("padding is incomplete"), std::string::npos) << r.error;
}

TEST(Base64, DecodesJpegStart) {
  auto r = DecodeBase64("/9j/4AAQSkZJRgABAQ==");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_GE(r.bytes.size(), 3u);
  EXPECT_EQ(static_cast<unsigned char>(r.bytes[0]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>(r.bytes[1]), 0xD8);
  EXPECT_EQ(static_cast<unsigned char>(r.bytes[2]), 0xFF);
}

TEST(Base64, RejectsGarbageWithAReason) {
  struct Case {
    std::string input;
    const char* reason;
  };
  for (const Case& c : {Case{"Zm9v YmFy", "invalid character at offset 4"},
                        Case{"Zm9v\nYmFy", "invalid character at offset 4"},
                        Case{"Zm9v-_", "invalid character at offset 4"},
                        Case{"Zg==Zg==", "invalid character at offset 2 ('=' before the end)"},
                        Case{"Z", "truncated final group"}, Case{"Zm9vY", "truncated final group"},
                        Case{"Zh==", "non-zero unused bits"}, Case{"Zm9=", "non-zero unused bits"},
                        Case{"Zg===", "padding is incomplete"}, Case{"====", "invalid character"},
                        Case{std::string("Zm9v\0YmFy", 9), "invalid character at offset 4"},
                        Case{"Zm9v\xc3\xa9", "invalid character at offset 4"}}) {
    auto r = DecodeBase64(c.input);
    EXPECT_FALSE(r.ok) << c.input;
    EXPECT_NE(r.error.find(c.reason), std::string::npos) << c.input << " -> " << r.error;
    EXPECT_TRUE(r.bytes.empty());
  }
}

TEST(Base64, RejectsOutputAboveTheLimitBeforeDecoding) {
  EXPECT_TRUE(DecodeBase64("Zm9vYmFy", 6).ok);
  auto r = DecodeBase64("Zm9vYmFy", 5);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "base64 decodes to 6 bytes, more than the limit of 5");
}

TEST(Base64, PropertyRoundTripOfRandomBytes) {
  std::mt19937_64 rng(42);
  for (int n = 0; n < 2000; ++n) {
    std::string bytes(rng() % 300, '\0');
    for (char& b : bytes) b = static_cast<char>(rng());
    std::string encoded = EncodeBase64(bytes);
    EXPECT_EQ(encoded.size() % 4, 0u);
    auto r = DecodeBase64(encoded);
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.bytes, bytes);
    // Without padding it decodes to the same bytes.
    std::string unpadded = encoded.substr(0, encoded.find('='));
    auto u = DecodeBase64(unpadded);
    ASSERT_TRUE(u.ok) << u.error;
    ASSERT_EQ(u.bytes, bytes);
  }
}

TEST(Base64, PropertyRandomTextNeverCrashesAndAcceptedTextIsCanonical) {
  std::mt19937_64 rng(7);
  const std::string alphabet = "ABCxyz019+/=\n -_\x80";
  for (int n = 0; n < 20000; ++n) {
    std::string text(rng() % 16, 'A');
    for (char& c : text) c = alphabet[rng() % alphabet.size()];
    auto r = DecodeBase64(text);
    if (r.ok) {
      std::string again = EncodeBase64(r.bytes);
      std::string stripped = text.substr(0, text.find('='));
      EXPECT_EQ(again.substr(0, again.find('=')), stripped) << text;
    } else {
      EXPECT_FALSE(r.error.empty());
    }
  }
}

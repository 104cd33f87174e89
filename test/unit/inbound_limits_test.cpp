// Unit tests of the bounds on what a device can make the server keep or process (#14 item 2):
// object keys counted before parsing, and the JSON kept of HELLO, METADATA and telemetry bodies.
#include <gtest/gtest.h>

#include <string>

#include "core/inbound_message.hpp"
#include "core/payload_text.hpp"

using namespace devicewake::core;

namespace {

constexpr const char* kMac = "B8F862F9C1C4";

std::string Reason(const InboundMessage& m) {
  const Rejected* r = std::get_if<Rejected>(&m);
  return r ? r->reason : std::string("(accepted as ") + InboundMessageName(m) + ")";
}

// A METADATA carrying n extra keys "kN":0 (nested one level down in "extra").
std::string MetadataWithKeys(int n) {
  std::string s = R"({"image_name":"a.jpg","total_chunk_count":2,"image_size":100,"extra":{)";
  for (int i = 0; i < n; ++i) s += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":0";
  return s + "}}";
}

}  // namespace

TEST(InboundLimits, KeysAreCountedAtEveryDepth) {
  InboundLimits limits;
  limits.max_json_keys = 10;
  // 4 keys of its own plus 6 nested: exactly the limit
  EXPECT_TRUE(std::holds_alternative<Metadata>(
      ParseInbound(InboundKind::kData, kMac, MetadataWithKeys(6), limits)));
  EXPECT_EQ(Reason(ParseInbound(InboundKind::kData, kMac, MetadataWithKeys(7), limits)),
            "JSON has more than 10 keys");
}

TEST(InboundLimits, TheDefaultRefusesTheMergeAttack) {
  // the attack of #14 item 2: a METADATA with thousands of keys, far below the payload limit
  std::string hostile = MetadataWithKeys(20000);
  ASSERT_LT(hostile.size(), InboundLimits{}.max_payload_bytes);
  EXPECT_EQ(Reason(ParseInbound(InboundKind::kData, kMac, hostile)), "JSON has more than 256 keys");
}

TEST(InboundLimits, ColonsInsideStringsAreNotKeys) {
  EXPECT_EQ(CheckJsonKeys(R"({"a":"x:y:z:\":w"})", 1), "");
  EXPECT_EQ(CheckJsonKeys(R"({"a":1,"b":2})", 1), "JSON has more than 1 keys");
}

TEST(InboundLimits, StoredBodiesAreBounded) {
  InboundLimits limits;
  limits.max_stored_json_bytes = 300;
  std::string location(400, 'x');
  std::string metadata =
      R"({"image_name":"a.jpg","total_chunk_count":2,"location":")" + location + "\"}";
  EXPECT_EQ(Reason(ParseInbound(InboundKind::kData, kMac, metadata, limits))
                .rfind("METADATA body is ", 0),
            0u);
  std::string hello = R"({"status":"Alive","note":")" + location + "\"}";
  EXPECT_NE(Reason(ParseInbound(InboundKind::kStatus, kMac, hello, limits))
                .find("more than the limit of 300 (devicewake.max_stored_json_bytes)"),
            std::string::npos);
  std::string telemetry = R"({"temperature":21.5,"note":")" + location + "\"}";
  EXPECT_NE(
      Reason(ParseInbound(InboundKind::kData, kMac, telemetry, limits)).find("telemetry body is "),
      std::string::npos);
  // a chunk's body is not kept as JSON: only its decoded bytes, bounded by max_chunk_bytes
  std::string chunk =
      R"({"image_name":"a.jpg","chunk_id":0,"payload":")" + std::string(400, 'A') + "\"}";
  EXPECT_TRUE(std::holds_alternative<Chunk>(ParseInbound(InboundKind::kData, kMac, chunk, limits)));
}

// Property-style tests of the protocol layer: random and mutated inputs never crash and every
// rejection has a reason; what is accepted round-trips.
#include <gtest/gtest.h>

#include <random>

#include "core/base64.hpp"
#include "core/inbound_message.hpp"
#include "core/outbound_message.hpp"
#include "core/topic.hpp"

using namespace devicewake::core;

namespace {

const std::vector<std::string> kSeeds = {
    R"({"device_id":"B8F862F9C1C4","status":"Alive","pendingImg":2,"pending_list":["image_1.jpg","image_2.jpg"]})",
    R"({"device_id":"B8F862F9C1C4","image_name":"image_3.jpg","image_size":70144,"timestamp":"2026-11-22T14:31:00Z","max_chunks_size":1024,"total_chunk_count":69,"error":0,"sensor_data":{"temperature":21.5}})",
    R"({"device_id":"B8F862F9C1C4","image_name":"image_3.jpg","chunk_id":0,"max_chunk_size":1024,"payload":"/9j/4AAQSkZJRgABAQ=="})",
    R"({"device_id":"B8F862F9C1C4","command_ack":"acknowledged","command_id":"6f9619ff-8b86-d011-b42d-00c04fc964ff"})",
    R"({"temperature":19.5,"battery_voltage":3.6})",
};

void CheckInvariants(const InboundMessage& m) {
  if (const auto* r = std::get_if<Rejected>(&m)) {
    ASSERT_FALSE(r->reason.empty());
  } else if (const auto* c = std::get_if<Chunk>(&m)) {
    ASSERT_FALSE(c->bytes.empty());
    ASSERT_LE(c->bytes.size(), 16u * 1024);
    ASSERT_GE(c->chunk_id, 0);
    ASSERT_LT(c->chunk_id, 65536);
  } else if (const auto* md = std::get_if<Metadata>(&m)) {
    ASSERT_LE(md->total_chunks, 65536);
    ASSERT_LE(md->image_name.size(), 200u);
    ASSERT_EQ(md->image_name.find('/'), std::string::npos);
  }
}

}  // namespace

TEST(ProtocolProperty, RandomBytesNeverCrash) {
  std::mt19937_64 rng(1234);
  for (int n = 0; n < 20000; ++n) {
    std::string bytes(rng() % 200, '\0');
    for (char& b : bytes) b = static_cast<char>(rng());
    for (InboundKind kind : {InboundKind::kStatus, InboundKind::kData, InboundKind::kAck}) {
      InboundMessage m = ParseInbound(kind, "B8F862F9C1C4", bytes);
      CheckInvariants(m);
    }
    ParseInboundTopic(bytes, "ESP32CAM");
    DecodeBase64(bytes);
  }
}

TEST(ProtocolProperty, MutatedRealMessagesNeverCrash) {
  std::mt19937_64 rng(99);
  const std::string tokens[] = {"\"",
                                "{",
                                "}",
                                "[",
                                "]",
                                ":",
                                ",",
                                "-1",
                                "1e999",
                                "null",
                                "\xE2\x80\x9C",
                                "\xE2\x80\x99",
                                "\\",
                                "\\u0000",
                                "1000000000",
                                "\xFF",
                                "true"};
  int accepted = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string s = kSeeds[rng() % kSeeds.size()];
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits; ++e) {
      std::size_t pos = rng() % (s.size() + 1);
      switch (rng() % 3) {
        case 0:
          s.insert(pos, tokens[rng() % std::size(tokens)]);
          break;
        case 1:
          s.erase(pos, rng() % 8);
          break;
        default:
          if (pos < s.size()) s[pos] = static_cast<char>(rng());
          break;
      }
    }
    for (InboundKind kind : {InboundKind::kStatus, InboundKind::kData, InboundKind::kAck}) {
      InboundMessage m = ParseInbound(kind, "B8F862F9C1C4", s);
      CheckInvariants(m);
      if (!std::holds_alternative<Rejected>(m)) ++accepted;
    }
  }
  EXPECT_GT(accepted, 0);  // the mutations do not only produce garbage
}

TEST(ProtocolProperty, EncodedChunksRoundTripThroughTheParser) {
  std::mt19937_64 rng(5);
  for (int n = 0; n < 500; ++n) {
    std::string bytes(1 + rng() % 1024, '\0');
    for (char& b : bytes) b = static_cast<char>(rng());
    std::int64_t id = static_cast<std::int64_t>(rng() % 69);
    std::string payload =
        R"({"device_id":"B8:F8:62:F9:C1:C4","image_name":"image_3.jpg","chunk_id":)" +
        std::to_string(id) + R"(,"max_chunk_size":1024,"payload":")" + EncodeBase64(bytes) + "\"}";
    InboundMessage m = ParseInbound(InboundKind::kData, "B8F862F9C1C4", payload);
    ASSERT_TRUE(std::holds_alternative<Chunk>(m)) << InboundMessageName(m);
    EXPECT_EQ(std::get<Chunk>(m).chunk_id, id);
    EXPECT_EQ(std::get<Chunk>(m).bytes, bytes);
  }
}

TEST(ProtocolProperty, BuiltBodiesParseBackAsTheirDevice) {
  // A body the server builds always names the device it is addressed to, whatever the payload.
  std::mt19937_64 rng(11);
  for (int n = 0; n < 2000; ++n) {
    std::string payload = "{\"device_id\":\"AABBCCDDEEFF\",\"" + std::string(1, 'a' + rng() % 26) +
                          "\":" + std::to_string(rng() % 1000) + "}";
    OutboundBody b = BuildCommandBody("update_config", payload, "B8F862F9C1C4", 0);
    ASSERT_TRUE(b.ok) << b.error;
    EXPECT_EQ(b.body.rfind(R"({"device_id":"B8F862F9C1C4",)", 0), 0u) << b.body;
    EXPECT_EQ(b.body.find("AABBCCDDEEFF"), std::string::npos);
  }
}

// The device side of the conversation (docs/design.md §8), database half: messages parsed by
// src/core are applied in arrival order (consecutive chunks as one set-based batch), each HELLO,
// METADATA and finished image takes one step of the wake conversation (src/core), and what
// cannot be applied goes to devicewake.rejected_messages with its reason. Used only by the
// worker, inside its transaction with SPI connected; may throw SqlError (the worker then retries
// one by one).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mqtt/client.hpp"
#include "pg/postgres_headers.hpp"

namespace devicewake::pg {

struct InboundOutcome {
  uint64 applied = 0;
  uint64 rejected = 0;
  uint64 acknowledged = 0;       // device command acknowledgements applied
  bool commands_queued = false;  // a HELLO or the conversation made commands due: dispatch now
};

// A METADATA's layout, to tell a camera's repeats (every 10 chunks) from news without asking
// the database.
struct MetadataLayout {
  std::int64_t total_chunks = 0;
  std::optional<std::int64_t> image_size;
  std::optional<std::int64_t> captured_at_micros;
  bool operator==(const MetadataLayout& o) const {
    return total_chunks == o.total_chunks && image_size == o.image_size &&
           captured_at_micros == o.captured_at_micros;
  }
};

// MAC -> image name -> the layout of the last METADATA applied (forgotten at the device's HELLO
// and when the image finishes; bounded).
using MetadataLayouts =
    std::unordered_map<std::string, std::unordered_map<std::string, MetadataLayout>>;

class InboundStore {
 public:
  // prefixes: devicewake.topic_prefix, parsed. Each message's answers (the wake conversation's
  // next messages) are queued as commands in the caller's transaction.
  InboundOutcome Apply(const std::vector<mqtt::Event>& messages,
                       const std::vector<std::string>& prefixes);
  // Records one message as rejected (applying it raised `reason`).
  void Reject(const mqtt::Event& message, const std::vector<std::string>& prefixes,
              const std::string& reason);
  // Queues resend_chunks for quiet uploads with gaps. Returns how many requests were queued.
  uint64 RequestMissingChunks(int quiet_seconds, int max_requests);
  // Ends the wake sessions of devices silent for idle_seconds.
  void EndIdleWakeSessions(int idle_seconds);

 private:
  MetadataLayouts layouts_;
};

}  // namespace devicewake::pg

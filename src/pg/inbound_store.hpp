// The device side of the conversation (DESIGN §8), database half: messages parsed by src/core are
// applied in arrival order (consecutive chunks as one set-based batch); what cannot be applied
// goes to devicewake.rejected_messages with its reason. Used only by the worker, inside its
// transaction with SPI connected; may throw SqlError (the worker then retries one by one).
#pragma once

#include <string>
#include <vector>

#include "mqtt/client.hpp"
#include "pg/postgres_headers.hpp"

namespace devicewake::pg {

// An answer to publish once the transaction that produced it has committed (e.g. ACK_OK).
struct InboundPublish {
  std::string topic;
  std::string body;
};

struct InboundOutcome {
  std::vector<InboundPublish> publishes;
  uint64 applied = 0;
  uint64 rejected = 0;
  uint64 acknowledged = 0;       // device command acknowledgements applied
  bool commands_queued = false;  // a HELLO or metadata made commands due: dispatch now
};

class InboundStore {
 public:
  InboundOutcome Apply(const std::vector<mqtt::Event>& messages, const std::string& prefix);
  // Records one message as rejected (applying it raised `reason`).
  void Reject(const mqtt::Event& message, const std::string& prefix, const std::string& reason);
  // Queues resend_chunks for quiet uploads with gaps. Returns how many requests were queued.
  uint64 RequestMissingChunks(int quiet_seconds, int max_requests);
  // Ends the wake sessions of devices silent for idle_seconds.
  void EndIdleWakeSessions(int idle_seconds);
};

}  // namespace devicewake::pg

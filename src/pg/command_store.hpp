// The command lifecycle's database side (docs/design.md §6), used only by the worker: claim due
// commands before publishing, mark them sent on PUBACK, count publish failures, expire, find the
// next timer. Each call runs inside the caller's transaction with SPI connected; may throw
// SqlError.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pg/postgres_headers.hpp"

namespace devicewake::pg {

using Uuid = std::array<unsigned char, 16>;

struct ClaimedCommand {
  Uuid command_id;
  std::string device_mac;
  std::string command_type;
  std::string payload_json;
  int priority = 5;
  TimestampTz due_at = 0;
  int publish_count = 0;         // including this attempt
  std::string topic_prefix;      // the prefix the device last used; empty: not known yet
  bool from_application = true;  // false: queued by the wake conversation of a session
};

struct PublishFailure {
  Uuid command_id;
  std::string reason;
};

// With devicewake.workers > 1, each worker's store works on its own share of the devices: those
// whose `abs(uuid_hash(device_id) % workers)` is its index (DeviceOwner in worker_state.hpp).
// Claims, the release of orphaned claims, expiry and the timer look at that share only, so two
// workers never claim one command, and a restarted worker releases only the claims that it (the
// one owner of those devices, since the count changes only with a server restart) had taken.
class CommandStore {
 public:
  void SetShare(int workers, int index) {
    workers_ = workers;
    index_ = index;
  }
  // Claims that were taken but never PUBACKed (this share's worker died) go back to pending.
  uint64 ReleaseOrphanedClaims();
  // These claims go back to pending: their publish died with the MQTT connection, PUBACK unknown.
  uint64 ReleaseClaims(const std::vector<Uuid>& ids);
  // Claims up to `limit` due, unexpired pending commands (FOR UPDATE SKIP LOCKED), in priority
  // order then due time; with only_awake, only for devices inside an open wake session.
  std::vector<ClaimedCommand> ClaimDue(int limit, bool only_awake);
  uint64 MarkSent(const std::vector<Uuid>& ids);
  // Each failure releases the claim and counts an attempt; at max_retries the command fails.
  // Returns how many reached failed.
  uint64 RecordPublishFailures(const std::vector<PublishFailure>& failures);
  // A command that can never be published (e.g. a payload its type cannot carry) fails now.
  uint64 FailPermanently(const std::vector<PublishFailure>& failures);
  // Pending commands past expires_at become expired. Returns how many.
  uint64 ExpireOverdue();
  // The earliest future scheduled_for or expires_at of a pending command, as of this
  // transaction's now() (the worker reads it in the transaction of its last claim).
  std::optional<TimestampTz> NextTimer();

 private:
  int workers_ = 1;
  int index_ = 0;
};

}  // namespace devicewake::pg

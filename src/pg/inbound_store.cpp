// Applying parsed device messages (see inbound_store.hpp). Parsing and checks are src/core's;
// the SQL lives in sql/install/37_ingest.sql and 36_device_hello.sql.
#include "pg/inbound_store.hpp"

#include <ctime>
#include <optional>
#include <variant>

#include "core/device_id.hpp"
#include "core/inbound_message.hpp"
#include "core/outbound_message.hpp"
#include "core/topic.hpp"
#include "pg/datum.hpp"
#include "pg/epoch.hpp"
#include "pg/spi.hpp"

namespace devicewake::pg {
namespace {

SavedPlan hello_plan("SELECT devicewake.record_device_hello($1, $2::jsonb)", {TEXTOID, TEXTOID});
SavedPlan metadata_plan(
    "SELECT devicewake._ingest_metadata($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)",
    {TEXTOID, TEXTOID, INT4OID, INT4OID, TIMESTAMPTZOID, INT4OID, TEXTOID, TEXTOID});
SavedPlan chunks_plan("SELECT * FROM devicewake._ingest_chunks($1, $2, $3, $4)",
                      {TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID, BYTEAARRAYOID});
SavedPlan telemetry_plan("SELECT devicewake._ingest_telemetry($1, $2::numeric, $3, $4::jsonb)",
                         {TEXTOID, FLOAT8OID, INT4OID, TEXTOID});
SavedPlan ack_plan("SELECT devicewake._ingest_command_ack($1, $2::uuid)", {TEXTOID, TEXTOID});
SavedPlan next_wake_plan(
    "SELECT devicewake._ack_next_wake(d.device_id) FROM devicewake.devices d"
    " WHERE d.device_mac = $1",
    {TEXTOID});
SavedPlan reject_plan(
    "INSERT INTO devicewake.rejected_messages (topic, payload, reason, device_mac)"
    " SELECT * FROM unnest($1::text[], $2::bytea[], $3::text[], $4::text[])",
    {TEXTARRAYOID, BYTEAARRAYOID, TEXTARRAYOID, TEXTARRAYOID});
SavedPlan missing_plan("SELECT devicewake._request_missing_chunks(pg_catalog.make_interval(secs => $1), $2)",
                       {INT4OID, INT4OID});

SavedPlan idle_sessions_plan("SELECT devicewake._end_idle_wake_sessions(pg_catalog.make_interval(secs => $1))",
                             {INT4OID});

// Messages to keep in rejected_messages, inserted with one statement. A message whose topic
// named no valid device gets a NULL device_mac.
// The next_wake_time of an ACK_OK, in Unix seconds, from devicewake._ack_next_wake (never NULL
// for a stored device; a day from now otherwise, like the function's own last resort).
int64 AckWakeSeconds(Datum wake, bool is_null) {
  if (is_null) return static_cast<int64>(time(nullptr)) + SECS_PER_DAY;
  return ToUnixSeconds(DatumGetTimestampTz(wake));
}

class Rejections {
 public:
  void Add(const mqtt::Event& message, const std::string& reason, const std::string& mac) {
    topics_.push_back(message.topic);
    payloads_.push_back(message.payload);
    reasons_.push_back(reason);
    macs_.push_back(mac);
  }
  void Insert() {
    if (topics_.empty()) return;
    std::vector<bool> no_mac(macs_.size());
    for (std::size_t i = 0; i < macs_.size(); ++i) no_mac[i] = macs_[i].empty();
    Datum args[4] = {VarlenaArrayDatum(topics_, TEXTOID), VarlenaArrayDatum(payloads_, BYTEAOID),
                     VarlenaArrayDatum(reasons_, TEXTOID),
                     VarlenaArrayDatum(macs_, TEXTOID, &no_mac)};
    reject_plan.Execute(args, nullptr, false);
  }

 private:
  std::vector<std::string> topics_, payloads_, reasons_, macs_;
};

// Everything one Apply call accumulates.
class Batch {
 public:
  Batch(const std::vector<mqtt::Event>& messages, const std::string& prefix)
      : messages_(messages), prefix_(prefix) {}

  InboundOutcome Run() {
    for (std::size_t i = 0; i < messages_.size(); ++i) ApplyOne(i);
    FlushChunks();
    rejections_.Insert();
    return std::move(outcome_);
  }

 private:
  void ApplyOne(std::size_t index) {
    const mqtt::Event& e = messages_[index];
    core::InboundTopic topic = core::ParseInboundTopic(e.topic, prefix_);
    if (!topic.ok) return RejectAt(index, topic.error, {});
    core::InboundMessage message = core::ParseInbound(topic.kind, topic.device_id, e.payload);
    if (auto* chunk = std::get_if<core::Chunk>(&message)) {
      chunk_macs_.push_back(chunk->device_id);
      chunk_names_.push_back(chunk->image_name);
      chunk_indexes_.push_back(static_cast<int32>(chunk->chunk_id));
      chunk_data_.push_back(std::move(chunk->bytes));
      chunk_messages_.push_back(index);
      return;
    }
    FlushChunks();  // keep arrival order: earlier chunks before this message
    if (auto* r = std::get_if<core::Rejected>(&message))
      return RejectAt(index, r->reason, topic.device_id);
    if (std::holds_alternative<core::ServerEcho>(message)) return;  // our own ACK_OK, echoed
    if (auto* hello = std::get_if<core::Hello>(&message)) {
      Datum args[2] = {TextDatum(hello->device_id), TextDatum(hello->body_json)};
      hello_plan.Execute(args, nullptr, false);
      outcome_.commands_queued = true;
    } else if (auto* m = std::get_if<core::Metadata>(&message)) {
      ApplyMetadata(*m);
    } else if (auto* t = std::get_if<core::Telemetry>(&message)) {
      Datum args[4] = {TextDatum(t->device_id), Float8GetDatum(t->battery_voltage.value_or(0)),
                       Int32GetDatum(static_cast<int32>(t->wifi_rssi.value_or(0))),
                       TextDatum(t->telemetry_json)};
      char nulls[5] = {' ', t->battery_voltage ? ' ' : 'n', t->wifi_rssi ? ' ' : 'n', ' ', '\0'};
      telemetry_plan.Execute(args, nulls, false);
    } else if (auto* ack = std::get_if<core::CommandAck>(&message)) {
      Datum args[2] = {TextDatum(ack->device_id), TextDatum(ack->command_id.value_or(""))};
      char nulls[3] = {' ', ack->command_id ? ' ' : 'n', '\0'};
      ack_plan.Execute(args, nulls, false);
      if (std::optional<std::string> why = SpiText(0, 1))
        return RejectAt(index, *why, ack->device_id);
      ++outcome_.acknowledged;
    }
    ++outcome_.applied;
  }

  void ApplyMetadata(const core::Metadata& m) {
    TimestampTz captured = FromUnixMicros(m.captured_at_micros.value_or(0));
    Datum args[8] = {TextDatum(m.device_id),
                     TextDatum(m.image_name),
                     Int32GetDatum(static_cast<int32>(m.total_chunks)),
                     Int32GetDatum(static_cast<int32>(m.image_size.value_or(0))),
                     TimestampTzGetDatum(captured),
                     Int32GetDatum(static_cast<int32>(m.error)),
                     TextDatum(m.body_json),
                     TextDatum(m.sensor_json)};
    char nulls[9] = {' ', ' ', ' ', m.image_size ? ' ' : 'n', m.captured_at_micros ? ' ' : 'n', ' ',
                     ' ', ' ', '\0'};
    metadata_plan.Execute(args, nulls, false);
    std::optional<std::string> status = SpiText(0, 1);
    if (status && *status == "receiving") outcome_.commands_queued = true;
    if (status && *status == "complete") {
      // the device missed our ACK_OK and starts over: tell it again
      // (read-write, so it sees what this batch wrote: the device may be new, or its HELLO
      // may have moved next_wake_at a few messages ago)
      Datum mac[1] = {TextDatum(m.device_id)};
      if (next_wake_plan.Execute(mac, nullptr, false, 1) == 1) {
        bool is_null = false;
        Datum wake = SpiValue(0, 1, &is_null);
        QueueAckOk(m.device_id, m.image_name, AckWakeSeconds(wake, is_null));
      }
    }
  }

  void QueueAckOk(const std::string& mac, const std::string& image_name, int64 next_wake) {
    core::OutboundTopic topic = core::AckTopic(prefix_, mac);
    core::OutboundBody body = core::BuildAckOk(mac, image_name, next_wake);
    if (topic.ok && body.ok) outcome_.publishes.push_back({topic.topic, body.body});
  }

  void FlushChunks() {
    if (chunk_messages_.empty()) return;
    Datum args[4] = {VarlenaArrayDatum(chunk_macs_, TEXTOID),
                     VarlenaArrayDatum(chunk_names_, TEXTOID), Int4ArrayDatum(chunk_indexes_),
                     VarlenaArrayDatum(chunk_data_, BYTEAOID)};
    uint64 rows = chunks_plan.Execute(args, nullptr, false);
    uint64 rejected_here = 0;
    // Copy the result out before queueing rejections (which only touch C++ vectors).
    for (uint64 row = 0; row < rows; ++row) {
      std::string kind = SpiText(row, 1).value_or("");
      if (kind == "rejected") {
        bool is_null = false;
        int64 ordinal = DatumGetInt64(SpiValue(row, 2, &is_null));
        std::size_t index = chunk_messages_.at(static_cast<std::size_t>(ordinal - 1));
        RejectAt(index, SpiText(row, 5).value_or("chunk could not be applied"),
                 SpiText(row, 3).value_or(""));
        ++rejected_here;
      } else if (kind == "complete") {
        bool is_null = false;
        Datum wake = SpiValue(row, 6, &is_null);
        QueueAckOk(SpiText(row, 3).value_or(""), SpiText(row, 4).value_or(""),
                   AckWakeSeconds(wake, is_null));
      }
    }
    outcome_.applied += chunk_messages_.size() - rejected_here;
    chunk_macs_.clear();
    chunk_names_.clear();
    chunk_indexes_.clear();
    chunk_data_.clear();
    chunk_messages_.clear();
  }

  void RejectAt(std::size_t index, const std::string& reason, const std::string& mac) {
    rejections_.Add(messages_[index], reason, mac);
    ++outcome_.rejected;
  }

  const std::vector<mqtt::Event>& messages_;
  const std::string& prefix_;
  InboundOutcome outcome_;
  std::vector<std::string> chunk_macs_, chunk_names_, chunk_data_;
  std::vector<int32> chunk_indexes_;
  std::vector<std::size_t> chunk_messages_;
  Rejections rejections_;
};

}  // namespace

InboundOutcome InboundStore::Apply(const std::vector<mqtt::Event>& messages,
                                   const std::string& prefix) {
  return Batch(messages, prefix).Run();
}

void InboundStore::Reject(const mqtt::Event& message, const std::string& prefix,
                          const std::string& reason) {
  core::InboundTopic topic = core::ParseInboundTopic(message.topic, prefix);
  Rejections rejection;
  rejection.Add(message, reason, topic.ok ? topic.device_id : std::string());
  rejection.Insert();
}

uint64 InboundStore::RequestMissingChunks(int quiet_seconds, int max_requests) {
  Datum args[2] = {Int32GetDatum(quiet_seconds), Int32GetDatum(max_requests)};
  missing_plan.Execute(args, nullptr, false);
  bool is_null = false;
  return static_cast<uint64>(DatumGetInt32(SpiValue(0, 1, &is_null)));
}

void InboundStore::EndIdleWakeSessions(int idle_seconds) {
  Datum args[1] = {Int32GetDatum(idle_seconds)};
  idle_sessions_plan.Execute(args, nullptr, false);
}

}  // namespace devicewake::pg

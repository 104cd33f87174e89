// Applying parsed device messages (see inbound_store.hpp). Parsing and checks are src/core's;
// the SQL lives in sql/install/37_ingest.sql and 36_device_hello.sql.
// src/core's headers come before any header that includes postgres.h (core/cpp_only.hpp checks it).
#include <algorithm>
#include <cstdint>
#include <ctime>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <variant>

#include "core/device_id.hpp"
#include "core/inbound_message.hpp"
#include "core/outbound_message.hpp"
#include "core/topic.hpp"
#include "core/wake_conversation.hpp"
#include "pg/inbound_store.hpp"
#include "pg/datum.hpp"
#include "pg/epoch.hpp"
#include "pg/settings.hpp"
#include "pg/spi.hpp"

extern "C" {
#include "common/cryptohash.h"
#include "common/sha2.h"
}

namespace devicewake::pg {
namespace {

SavedPlan hello_plan(
    "SELECT devicewake._record_hello($1, $2::jsonb, $3::numeric, $4, $5, $6, $7, $8::jsonb)",
    {TEXTOID, TEXTOID, FLOAT8OID, INT4OID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTOID});
SavedPlan metadata_plan(
    "SELECT kind, already_asked"
    "  FROM devicewake._ingest_metadata($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)",
    {TEXTOID, TEXTOID, INT4OID, INT4OID, TIMESTAMPTZOID, INT4OID, TEXTOID, TEXTOID});
SavedPlan repeats_plan("SELECT * FROM devicewake._ingest_repeats($1, $2)",
                       {TEXTARRAYOID, TEXTARRAYOID});
SavedPlan chunks_plan("SELECT * FROM devicewake._ingest_chunks($1, $2, $3, $4)",
                      {TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID, BYTEAARRAYOID});
SavedPlan telemetry_plan("SELECT devicewake._ingest_telemetry($1, $2::numeric, $3, $4::jsonb)",
                         {TEXTOID, FLOAT8OID, INT4OID, TEXTOID});
SavedPlan ack_plan("SELECT devicewake._ingest_command_ack($1, $2::uuid)", {TEXTOID, TEXTOID});
SavedPlan state_plan(
    "SELECT session_id::text, hello_count, phase, backlog_left, backlog_names, asked_images,"
    "       captures_asked, awaiting_capture, current_image, backlog_mode, captures_per_wake,"
    "       capture_enabled, sleep_only"
    "  FROM devicewake._conversation_state($1, $2)",
    {TEXTOID, TEXTOID});
SavedPlan step_plan(
    "SELECT devicewake._conversation_step($1, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    {TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTARRAYOID, TEXTARRAYOID, INT4OID, BOOLOID, TEXTOID,
     TEXTARRAYOID, TEXTARRAYOID});
SavedPlan reject_plan(
    "INSERT INTO devicewake.rejected_messages"
    "   (topic, payload, reason, device_mac, payload_length, payload_sha256)"
    " SELECT * FROM unnest($1::text[], $2::bytea[], $3::text[], $4::text[], $5::int4[], "
    "$6::bytea[])",
    {TEXTARRAYOID, BYTEAARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID, BYTEAARRAYOID});
SavedPlan admit_plan("SELECT devicewake._admit_device($1)", {TEXTOID});

// What rejected_messages keeps of a payload: its first kKeptPayloadBytes, its full length and
// its SHA-256 (#14 item 4), so a 150 MB message costs 64 KiB of storage.
constexpr std::size_t kKeptPayloadBytes = 64 * 1024;

// SHA-256 of bytes, as 32 raw bytes (empty if the hash could not be computed). Calls
// PostgreSQL's cryptohash, which reports failure by its return value, never by ereport.
std::string Sha256(const std::string& bytes) {
  pg_cryptohash_ctx* ctx = pg_cryptohash_create(PG_SHA256);
  uint8 digest[PG_SHA256_DIGEST_LENGTH];
  bool ok =
      ctx != nullptr && pg_cryptohash_init(ctx) == 0 &&
      pg_cryptohash_update(ctx, reinterpret_cast<const uint8*>(bytes.data()), bytes.size()) == 0 &&
      pg_cryptohash_final(ctx, digest, sizeof digest) == 0;
  if (ctx != nullptr) pg_cryptohash_free(ctx);
  return ok ? std::string(reinterpret_cast<const char*>(digest), sizeof digest) : std::string();
}

// The parser's bounds, from the devicewake.* settings (#14 item 2).
core::InboundLimits Limits() {
  core::InboundLimits limits;
  limits.max_payload_bytes = static_cast<std::size_t>(settings::max_message_bytes);
  limits.max_json_keys = static_cast<std::size_t>(settings::max_json_keys);
  limits.max_stored_json_bytes = static_cast<std::size_t>(settings::max_stored_json_bytes);
  limits.max_text_length = static_cast<std::size_t>(settings::max_field_length);
  limits.max_image_bytes = settings::max_image_bytes;
  return limits;
}

// Devices known to exist (or admitted), so only a device not seen before costs the admission
// query. Bounded: forgotten all at once when full. The worker is one process, one thread.
std::unordered_set<std::string>& KnownDevices() {
  static std::unordered_set<std::string> known;
  return known;
}
constexpr std::size_t kMaxKnownDevices = 100000;
SavedPlan missing_plan(
    "SELECT devicewake._request_missing_chunks(pg_catalog.make_interval(secs => $1), $2)",
    {INT4OID, INT4OID});

SavedPlan idle_sessions_plan(
    "SELECT devicewake._end_idle_wake_sessions(pg_catalog.make_interval(secs => $1))", {INT4OID});

// Messages to keep in rejected_messages, inserted with one statement. A message whose topic
// named no valid device gets a NULL device_mac.
class Rejections {
 public:
  void Add(const mqtt::Event& message, const std::string& reason, const std::string& mac) {
    topics_.push_back(message.topic);
    payloads_.push_back(message.payload.substr(0, kKeptPayloadBytes));
    reasons_.push_back(reason);
    macs_.push_back(mac);
    lengths_.push_back(
        static_cast<int32>(std::min<std::size_t>(message.payload.size(), INT32_MAX)));
    hashes_.push_back(Sha256(message.payload));
  }
  void Insert() {
    if (topics_.empty()) return;
    std::vector<bool> no_mac(macs_.size()), no_hash(hashes_.size());
    for (std::size_t i = 0; i < macs_.size(); ++i) no_mac[i] = macs_[i].empty();
    for (std::size_t i = 0; i < hashes_.size(); ++i) no_hash[i] = hashes_[i].empty();
    Datum args[6] = {VarlenaArrayDatum(topics_, TEXTOID),
                     VarlenaArrayDatum(payloads_, BYTEAOID),
                     VarlenaArrayDatum(reasons_, TEXTOID),
                     VarlenaArrayDatum(macs_, TEXTOID, &no_mac),
                     Int4ArrayDatum(lengths_),
                     VarlenaArrayDatum(hashes_, BYTEAOID, &no_hash)};
    reject_plan.Execute(args, nullptr, false);
  }

 private:
  std::vector<std::string> topics_, payloads_, reasons_, macs_, hashes_;
  std::vector<int32> lengths_;
};

core::InboundTopic ParseTopic(const std::string& topic, const std::vector<std::string>& prefixes) {
  return core::ParseInboundTopic(topic, prefixes, settings::allow_separated_mac_topics);
}

// A device's wake conversation as stored: its open session (empty id: none) and its policy.
struct Conversation {
  std::string session_id;
  int hello_count = 0;
  core::WakeState state;
  core::WakePolicy policy;
};

// Reads the device's conversation (and records the prefix it used). False for an unknown device.
bool LoadConversation(const std::string& mac, const std::string& prefix, Conversation* c) {
  Datum args[2] = {TextDatum(mac), TextDatum(prefix)};
  if (state_plan.Execute(args, nullptr, false, 1) != 1) return false;
  bool is_null = false;
  c->session_id = SpiText(0, 1).value_or("");
  if (c->session_id.empty()) {
    c->state = core::WakeState::Unprompted();
  } else {
    c->hello_count = DatumGetInt32(SpiValue(0, 2, &is_null));
    core::WakeState& s = c->state;
    if (!core::ParseWakePhase(SpiText(0, 3).value_or(""), &s.phase))
      s.phase = core::WakePhase::kCapture;
    s.backlog_left = DatumGetInt32(SpiValue(0, 4, &is_null));
    s.backlog_names = TextArrayToStrings(SpiValue(0, 5, &is_null));
    s.asked_images = TextArrayToStrings(SpiValue(0, 6, &is_null));
    s.captures_asked = DatumGetInt32(SpiValue(0, 7, &is_null));
    s.awaiting_capture = DatumGetBool(SpiValue(0, 8, &is_null));
    s.current_image = SpiText(0, 9).value_or("");
  }
  core::WakePolicy& p = c->policy;
  p.backlog_mode = SpiText(0, 10).value_or("") == "send_image" ? core::BacklogMode::kSendImage
                                                               : core::BacklogMode::kSendAllPending;
  p.captures_per_wake = DatumGetInt32(SpiValue(0, 11, &is_null));
  p.capture_enabled = DatumGetBool(SpiValue(0, 12, &is_null));
  p.sleep_only = DatumGetBool(SpiValue(0, 13, &is_null));
  return true;
}

// Stores a step: the session's new state and its actions, queued as commands.
void StoreStep(const std::string& mac, const Conversation& c, const core::WakeStep& step) {
  std::vector<std::string> actions, images;
  for (const core::WakeAction& a : step.actions) {
    actions.push_back(core::WakeActionCommandType(a.type));
    images.push_back(a.image_name);
  }
  const core::WakeState& s = step.state;
  Datum args[11] = {TextDatum(mac),
                    TextDatum(c.session_id),
                    TextDatum(core::WakePhaseName(s.phase)),
                    Int32GetDatum(s.backlog_left),
                    VarlenaArrayDatum(s.backlog_names, TEXTOID),
                    VarlenaArrayDatum(s.asked_images, TEXTOID),
                    Int32GetDatum(s.captures_asked),
                    BoolGetDatum(s.awaiting_capture),
                    TextDatum(s.current_image),
                    VarlenaArrayDatum(actions, TEXTOID),
                    VarlenaArrayDatum(images, TEXTOID)};
  char nulls[12] = "           ";
  if (c.session_id.empty()) nulls[1] = 'n';
  step_plan.Execute(args, nulls, false);
}

// Everything one Apply call accumulates.
class Batch {
 public:
  Batch(const std::vector<mqtt::Event>& messages, const std::vector<std::string>& prefixes,
        MetadataLayouts& layouts)
      : messages_(messages), prefixes_(prefixes), layouts_(layouts) {}

  InboundOutcome Run() {
    for (std::size_t i = 0; i < messages_.size(); ++i) ApplyOne(i);
    FlushChunks();
    // Repeated METADATA (same layout as the last one applied) changes nothing: handled after the
    // chunks, so a camera's repeat every 10 chunks does not cut the batch of chunks short. One
    // that came before the last chunk of an image that finished in this batch is a no-op; one
    // after it asks for the answer again. The others are one statement for the batch (the
    // device was heard from), except those whose image stopped receiving meanwhile.
    std::vector<bool> apply(deferred_.size(), false);
    std::vector<std::size_t> repeats;
    for (std::size_t i = 0; i < deferred_.size(); ++i) {
      const Deferred& d = deferred_[i];
      auto done = finished_.find(d.metadata.device_id + '/' + d.metadata.image_name);
      if (done == finished_.end()) {
        repeats.push_back(i);
      } else {
        apply[i] = d.index > done->second;
      }
    }
    for (std::size_t i : ApplyRepeats(repeats)) apply[i] = true;
    for (std::size_t i = 0; i < deferred_.size(); ++i) {
      if (apply[i]) {
        prefix_ = deferred_[i].prefix;
        ApplyMetadata(deferred_[i].metadata);
      }
      ++outcome_.applied;
    }
    rejections_.Insert();
    return std::move(outcome_);
  }

 private:
  void ApplyOne(std::size_t index) {
    const mqtt::Event& e = messages_[index];
    core::InboundTopic topic = ParseTopic(e.topic, prefixes_);
    if (!topic.ok) return RejectAt(index, topic.error, {});
    prefix_ = topic.prefix;
    core::InboundMessage message =
        core::ParseInbound(topic.kind, topic.device_id, e.payload, limits_);
    if (auto* m = std::get_if<core::Metadata>(&message); m != nullptr && IsRepeat(*m)) {
      deferred_.push_back({std::move(*m), topic.prefix, index});
      return;
    }
    if (auto* chunk = std::get_if<core::Chunk>(&message)) {
      chunk_macs_.push_back(chunk->device_id);
      chunk_names_.push_back(chunk->image_name);
      chunk_indexes_.push_back(static_cast<int32>(chunk->chunk_id));
      chunk_data_.push_back(std::move(chunk->bytes));
      chunk_messages_.push_back(index);
      chunk_prefixes_.push_back(topic.prefix);
      return;
    }
    FlushChunks();  // keep arrival order: earlier chunks before this message
    if (auto* r = std::get_if<core::Rejected>(&message))
      return RejectAt(index, r->reason, topic.device_id);
    if (std::holds_alternative<core::ServerEcho>(message)) return;  // our own ACK_OK, echoed
    if (!Admitted(index, topic.device_id)) return;
    if (auto* hello = std::get_if<core::Hello>(&message)) {
      // the core checked every field: SQL receives typed values (NULL: absent or ignored)
      Datum args[8] = {TextDatum(hello->device_id),
                       TextDatum(hello->body_json),
                       Float8GetDatum(hello->battery_voltage.value_or(0)),
                       Int32GetDatum(static_cast<int32>(hello->wifi_rssi.value_or(0))),
                       TextDatum(hello->firmware_version.value_or("")),
                       TextDatum(hello->hardware_version.value_or("")),
                       VarlenaArrayDatum(hello->pending_list, TEXTOID),
                       TextDatum(core::IgnoredFieldsJson(hello->ignored))};
      char nulls[9] = {' ',
                       ' ',
                       hello->battery_voltage ? ' ' : 'n',
                       hello->wifi_rssi ? ' ' : 'n',
                       hello->firmware_version ? ' ' : 'n',
                       hello->hardware_version ? ' ' : 'n',
                       ' ',
                       ' ',
                       '\0'};
      hello_plan.Execute(args, nulls, false);
      outcome_.commands_queued = true;
      layouts_.erase(hello->device_id);  // a new wake: its METADATA are news again
      Converse(hello->device_id, [&](const Conversation& c) {
        // a HELLO inside a wake that goes on does not restart its conversation
        if (c.hello_count != 1 || c.session_id.empty()) return core::WakeStep{c.state, {}};
        return core::OnHello(c.policy, hello->pending_count, hello->pending_list);
      });
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

  // True when the device exists or may be auto-registered (devicewake.auto_register and its
  // limits, sql/install/33_device_registry.sql); otherwise the message is recorded as rejected.
  bool Admitted(std::size_t index, const std::string& mac) {
    std::unordered_set<std::string>& known = KnownDevices();
    if (known.count(mac) != 0) return true;
    Datum args[1] = {TextDatum(mac)};
    admit_plan.Execute(args, nullptr, false, 1);
    if (std::optional<std::string> why = SpiText(0, 1)) {
      RejectAt(index, *why, mac);
      return false;
    }
    if (known.size() >= kMaxKnownDevices) known.clear();
    known.insert(mac);
    return true;
  }

  // Applies the repeats deferred_[positions] as one statement (devicewake._ingest_repeats) and
  // returns the positions of those whose image is not receiving any more: the caller applies
  // them in full.
  std::vector<std::size_t> ApplyRepeats(const std::vector<std::size_t>& positions) {
    std::vector<std::size_t> stale;
    if (positions.empty()) return stale;
    std::vector<std::string> macs, names;
    for (std::size_t i : positions) {
      macs.push_back(deferred_[i].metadata.device_id);
      names.push_back(deferred_[i].metadata.image_name);
    }
    Datum args[2] = {VarlenaArrayDatum(macs, TEXTOID), VarlenaArrayDatum(names, TEXTOID)};
    uint64 rows = repeats_plan.Execute(args, nullptr, false);
    for (uint64 row = 0; row < rows; ++row) {
      bool is_null = false;
      int64 ordinal = DatumGetInt64(SpiValue(row, 1, &is_null));
      stale.push_back(positions.at(static_cast<std::size_t>(ordinal - 1)));
    }
    return stale;
  }

  // A METADATA with the layout of the last one applied for the image (no error).
  bool IsRepeat(const core::Metadata& m) const {
    if (m.error != 0) return false;
    auto device = layouts_.find(m.device_id);
    if (device == layouts_.end()) return false;
    auto image = device->second.find(m.image_name);
    return image != device->second.end() && image->second == Layout(m);
  }
  static MetadataLayout Layout(const core::Metadata& m) {
    return {m.total_chunks, m.image_size, m.captured_at_micros};
  }

  void ApplyMetadata(const core::Metadata& m) {
    if (m.error == 0) {
      if (layouts_.size() > kMaxLayouts) layouts_.clear();
      layouts_[m.device_id][m.image_name] = Layout(m);
    }
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
    metadata_plan.Execute(args, nulls, false, 1);
    std::optional<std::string> kind_name = SpiText(0, 1);
    bool is_null = false;
    bool already_asked = DatumGetBool(SpiValue(0, 2, &is_null));
    if (!kind_name || *kind_name == "repeat") return;  // a device error, or nothing new
    core::MetadataKind kind = *kind_name == "complete"  ? core::MetadataKind::kComplete
                              : *kind_name == "restart" ? core::MetadataKind::kRestart
                                                        : core::MetadataKind::kNew;
    Converse(m.device_id, [&](const Conversation& c) {
      return core::OnMetadata(c.policy, c.state, m.image_name, kind, already_asked);
    });
  }

  // One step of the device's conversation, in this transaction: load, decide (src/core), store.
  template <typename Decide>
  void Converse(const std::string& mac, Decide&& decide) {
    Conversation c;
    if (!LoadConversation(mac, prefix_, &c)) return;
    core::WakeStep step = decide(c);
    if (step.actions.empty() && step.state == c.state) return;
    StoreStep(mac, c, step);
    if (!step.actions.empty()) outcome_.commands_queued = true;
  }

  void FlushChunks() {
    if (chunk_messages_.empty()) return;
    Datum args[4] = {VarlenaArrayDatum(chunk_macs_, TEXTOID),
                     VarlenaArrayDatum(chunk_names_, TEXTOID), Int4ArrayDatum(chunk_indexes_),
                     VarlenaArrayDatum(chunk_data_, BYTEAOID)};
    uint64 rows = chunks_plan.Execute(args, nullptr, false);
    uint64 rejected_here = 0;
    struct Finished {
      bool complete;
      std::string mac, image_name;
      int others_receiving;
    };
    std::vector<Finished> finished;
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
      } else if (kind == "complete" || kind == "failed") {
        bool is_null = false;
        int others = DatumGetInt32(SpiValue(row, 6, &is_null));
        finished.push_back({kind == "complete", SpiText(row, 3).value_or(""),
                            SpiText(row, 4).value_or(""), is_null ? 0 : others});
      }
    }
    // (after the result is copied out: each step runs statements of its own)
    std::string message_prefix = prefix_;
    for (const Finished& f : finished) {
      auto device = layouts_.find(f.mac);
      if (device != layouts_.end()) device->second.erase(f.image_name);
      finished_[f.mac + '/' + f.image_name] = LastChunkOf(f.mac, f.image_name);
      prefix_ = PrefixOfChunkFrom(f.mac);
      Converse(f.mac, [&](const Conversation& c) {
        return f.complete
                   ? core::OnImageComplete(c.policy, c.state, f.image_name, f.others_receiving)
                   : core::OnImageFailed(c.policy, c.state, f.image_name, f.others_receiving);
      });
    }
    prefix_ = message_prefix;
    outcome_.applied += chunk_messages_.size() - rejected_here;
    chunk_macs_.clear();
    chunk_names_.clear();
    chunk_indexes_.clear();
    chunk_data_.clear();
    chunk_messages_.clear();
    chunk_prefixes_.clear();
  }

  // The message index of the image's last chunk in this flush.
  std::size_t LastChunkOf(const std::string& mac, const std::string& image_name) const {
    std::size_t last = 0;
    for (std::size_t i = 0; i < chunk_macs_.size(); ++i) {
      if (chunk_macs_[i] == mac && chunk_names_[i] == image_name) last = chunk_messages_[i];
    }
    return last;
  }

  // The prefix the latest chunk of the device in this flush came by.
  std::string PrefixOfChunkFrom(const std::string& mac) const {
    for (std::size_t i = chunk_macs_.size(); i-- > 0;) {
      if (chunk_macs_[i] == mac) return chunk_prefixes_[i];
    }
    return prefix_;
  }

  void RejectAt(std::size_t index, const std::string& reason, const std::string& mac) {
    rejections_.Add(messages_[index], reason, mac);
    ++outcome_.rejected;
  }

  struct Deferred {
    core::Metadata metadata;
    std::string prefix;
    std::size_t index;  // its place in the batch
  };
  static constexpr std::size_t kMaxLayouts = 100000;  // devices remembered

  const std::vector<mqtt::Event>& messages_;
  const std::vector<std::string>& prefixes_;
  const core::InboundLimits limits_ = Limits();
  MetadataLayouts& layouts_;
  std::vector<Deferred> deferred_;
  // "MAC/image" finished in this batch -> the index of its last chunk then (a repeat that came
  // before it changed nothing; one after it asks for the answer again)
  std::unordered_map<std::string, std::size_t> finished_;
  std::string prefix_;  // the prefix of the message being applied
  InboundOutcome outcome_;
  std::vector<std::string> chunk_macs_, chunk_names_, chunk_data_, chunk_prefixes_;
  std::vector<int32> chunk_indexes_;
  std::vector<std::size_t> chunk_messages_;
  Rejections rejections_;
};

}  // namespace

InboundOutcome InboundStore::Apply(const std::vector<mqtt::Event>& messages,
                                   const std::vector<std::string>& prefixes) {
  return Batch(messages, prefixes, layouts_).Run();
}

void InboundStore::Reject(const mqtt::Event& message, const std::vector<std::string>& prefixes,
                          const std::string& reason) {
  core::InboundTopic topic = ParseTopic(message.topic, prefixes);
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

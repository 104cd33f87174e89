// A background worker (one of devicewake.workers, each with its own MQTT connection and hash share
// of the devices): woken by its latch (set at commit by the enqueue path, see commit_wake.cpp)
// and the broker's socket; database work in short transactions, never while waiting on the
// network. See src/pg/README.md for the loop and the command state table.
#include "pg/worker.hpp"

#include <poll.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/backoff.hpp"
#include "core/outbound_message.hpp"
#include "core/token_bucket.hpp"
#include "core/topic.hpp"
#include "mqtt/client.hpp"
#include "pg/command_store.hpp"
#include "pg/fleet_tick.hpp"
#include "pg/guard.hpp"
#include "pg/inbound_store.hpp"
#include "pg/settings.hpp"
#include "pg/spi.hpp"
#include "pg/worker_state.hpp"

extern "C" {
#include "access/xlog.h"
#include "common/pg_prng.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "postmaster/postmaster.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
}

namespace devicewake::pg {
namespace {

constexpr long kSafetyScanMs = 60 * 1000;    // a slow safety net, not the way work is found
constexpr long kTickMs = 1000;               // libmosquitto keepalive housekeeping
constexpr std::size_t kMaxInFlight = 20000;  // QoS 1 publishes awaiting PUBACK (mids are 16 bit)
constexpr int kTransientAttempts = 3;        // tries of one device message before it is rejected
// Claim scans that find nothing are rationed: kIdleScanBurst at once, then one per
// kIdleScanGapMs, so a flood of commits that enqueue nothing due (each may set the latch the
// worker just reset) costs at most about 1000 / kIdleScanGapMs empty scans a second, while the
// usual single empty scan (a commit that landed during the previous scan, whose command that
// scan already took) never holds back the next command. A scan that claimed work is followed at
// once (its cost is paid by the commands it publishes); timers are never held back.
constexpr int kIdleScanBurst = 5;
constexpr int64_t kIdleScanGapMs = 10;
// A connection the broker accepted and then closed within this long is the mark of a client-id
// takeover: the broker keeps one connection per client id and drops the older one, so two
// clients with one id keep kicking each other off, each soon after it connected.
constexpr int64_t kTakeoverWindowMs = 5000;
// Errors that say nothing about the statement: the same work may succeed when tried again.
bool IsTransient(int sqlstate) {
  return sqlstate == ERRCODE_T_R_SERIALIZATION_FAILURE ||
         sqlstate == ERRCODE_T_R_DEADLOCK_DETECTED || sqlstate == ERRCODE_LOCK_NOT_AVAILABLE ||
         sqlstate == ERRCODE_QUERY_CANCELED;
}

int64_t NowMs() { return GetCurrentTimestamp() / 1000; }

// The catalog version this library needs (Makefile's EXTVERSION), and how the worker reads the
// installed one.
constexpr const char* kLibraryVersion = DW_EXTVERSION;
SavedPlan version_plan(
    "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_devicewake'", {});

// With several workers, worker k applies its devices' messages holding the transaction-level
// advisory lock (kIngestLockKey, k), which no other worker's ingest takes. Worker 0's
// housekeeping, whose statements span every device, takes every worker's lock first, in
// ascending order, so it never interleaves with an ingest transaction (whose row locks it could
// otherwise take in the opposite order: a deadlock). An ingest transaction holds exactly one.
constexpr int32 kIngestLockKey = 0x44570011;  // the first key of pg_advisory_xact_lock(int, int)
SavedPlan ingest_lock_plan("SELECT pg_catalog.pg_advisory_xact_lock($1, $2)", {INT4OID, INT4OID});
SavedPlan all_ingest_locks_plan(
    "SELECT pg_catalog.pg_advisory_xact_lock($1, g) FROM pg_catalog.generate_series(0, $2 - 1) g",
    {INT4OID, INT4OID});

// Takes worker `worker`'s ingest lock in the current transaction, waiting for housekeeping.
void LockIngest(int worker) {
  Datum args[2] = {Int32GetDatum(kIngestLockKey), Int32GetDatum(worker)};
  ingest_lock_plan.Execute(args, nullptr, false, 1);
}

uint32 Fnv1a(const std::string& text) {
  uint32 hash = 2166136261u;
  for (unsigned char c : text) hash = (hash ^ c) * 16777619u;
  return hash;
}

// Jitter source for reconnect backoff; PostgreSQL's per-process PRNG, seeded at fork.
double UniformRandom() { return pg_prng_double(&pg_global_prng_state); }

std::string Setting(const char* value) { return value == nullptr ? std::string() : value; }

// Reads the MQTT password from devicewake.mqtt_password_file (first line). Never raises.
std::string ReadPasswordFile(const std::string& path, std::string* error) {
  if (path.empty()) return {};
  std::ifstream in(path);
  if (!in) {
    *error = "could not read devicewake.mqtt_password_file \"" + path + "\"";
    return {};
  }
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

// The MQTT client id of worker `index`: the configured one (or the cluster's default) for worker
// 0, whatever the worker count, so its persistent session carries on when workers are added;
// `<id>_<index>` for the others, since the broker keeps one connection per client id.
mqtt::ClientConfig ConfigFromSettings(int index, std::string* error) {
  mqtt::ClientConfig c;
  c.host = Setting(settings::mqtt_host);
  c.port = settings::mqtt_port;
  c.client_id = Setting(settings::mqtt_client_id);
  // A default unique to the cluster: a fixed one would let any client that knows it take the
  // worker's persistent session over (the broker drops the older connection).
  if (c.client_id.empty()) {
    c.client_id = "pg_devicewake_" + std::to_string(static_cast<unsigned long long>(
                                         PgCall([]() { return GetSystemIdentifier(); })));
  }
  if (index > 0) c.client_id += "_" + std::to_string(index);
  c.username = Setting(settings::mqtt_username);
  c.password = ReadPasswordFile(Setting(settings::mqtt_password_file), error);
  c.tls_ca_file = Setting(settings::mqtt_tls_ca_file);
  c.tls_cert_file = Setting(settings::mqtt_tls_cert_file);
  c.tls_key_file = Setting(settings::mqtt_tls_key_file);
  c.keepalive_seconds = settings::mqtt_keepalive;
  c.clean_session = false;
  return c;
}

struct InFlight {
  Uuid command_id;
  int64_t deadline_ms;
};

class Worker {
 public:
  // Worker `index` of devicewake.workers: it serves the devices whose device_id hashes to it.
  explicit Worker(int index) : index_(index), workers_(settings::workers) {
    commands_.SetShare(workers_, index_);
  }
  void Run();
  void Shutdown();
  void ApplyBeforeExit();

 private:
  // Run()'s steps, in the order of one turn of the loop.
  void Start();
  void WaitForWork();
  void ServeConnection();
  void ExpireInFlight();
  void Ingest();
  void ApplyMessages(const std::vector<mqtt::Event>& batch, int lock);
  int OwnerOf(const mqtt::Event& message) const;
  void DispatchDue();
  void Housekeeping();

  void WaitForExtension();
  void RetireSessions();
  void Connect();
  void BuildWaitSet();
  void DriveNetwork(bool mqtt_readable, bool mqtt_writable);
  void HandleEvents();
  void Dispatch();
  void FlushDeliveries();
  bool HasDeliveriesToFlush() const {
    return !delivered_.empty() || !publish_failures_.empty() || !permanent_failures_.empty() ||
           !abandoned_.empty();
  }
  void DropClient();
  long NextTimeoutMs();
  void ReloadSettings();
  void NoteError(const std::string& message);
  template <typename F>
  void InTransaction(const char* activity, F&& body);

  const int index_;
  const int workers_;  // devicewake.workers (fixed until the server restarts)
  std::unique_ptr<mqtt::Client> client_;
  mqtt::ClientConfig config_;
  std::string prefix_setting_;         // devicewake.topic_prefix as connected with
  std::vector<std::string> prefixes_;  // its parse (never empty: the check hook refuses that)
  core::Backoff reconnect_backoff_{core::BackoffPolicy{1000, 60000, 2.0, 0.5}, UniformRandom};
  int64_t next_connect_ms_ = 0;
  int64_t connected_at_ms_ = 0;  // CONNACK of the current connection, 0 none
  int takeovers_in_a_row_ = 0;
  int64_t next_timer_ms_ = -1;  // earliest scheduled_for / expires_at, -1 none
  int64_t next_safety_ms_ = 0;
  int64_t next_scan_ms_ = 0;  // earliest claim scan a wake-up may start (idle_scans_)
  core::TokenBucket idle_scans_{kIdleScanBurst, kIdleScanGapMs};
  bool work_pending_ = true;
  std::unordered_map<int, InFlight> in_flight_;
  int64_t earliest_deadline_ms_ = INT64_MAX;  // <= every deadline in in_flight_
  std::vector<Uuid> delivered_;
  std::vector<PublishFailure> publish_failures_;
  std::vector<PublishFailure> permanent_failures_;
  std::vector<Uuid> abandoned_;  // claims whose publish died with its connection, PUBACK unknown
  CommandStore commands_;
  InboundStore inbound_store_;
  std::vector<mqtt::Event> inbound_;
  int64_t next_housekeeping_ms_ = 0;
  MemoryContext scratch_ = nullptr;
  // The wait set: latch, postmaster death and the MQTT socket, built once per connection (a
  // new socket rebuilds it). mqtt_slot_ is AddWaitEventToSet's position for the socket.
  WaitEventSet* wait_set_ = nullptr;
  int wait_socket_ = -1;
  int mqtt_slot_ = -1;
  uint32 mqtt_events_ = 0;  // what the socket's slot waits for now
  bool mqtt_readable_ = false;
  bool mqtt_writable_ = false;
};

Worker* running_worker = nullptr;

template <typename F>
void Worker::InTransaction(const char* activity, F&& body) {
  PgCall([&]() {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    PushActiveSnapshot(GetTransactionSnapshot());
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "pg_devicewake: SPI_connect failed");
    pgstat_report_activity(STATE_RUNNING, activity);
  });
  try {
    body();
  } catch (...) {
    PgCall([]() { AbortCurrentTransaction(); });
    PgCall([]() { pgstat_report_activity(STATE_IDLE, nullptr); });
    throw;
  }
  PgCall([]() {
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
    // flush table statistics (as worker_spi does): else autovacuum never sees the churn
    pgstat_report_stat(false);
    pgstat_report_activity(STATE_IDLE, nullptr);
  });
}

void Worker::NoteError(const std::string& message) {
  SetWorkerError(message);
  PgCall([&]() { ereport(LOG, (errmsg("pg_devicewake: %s", message.c_str()))); });
}

void Worker::Connect() {
  std::string error;
  config_ = ConfigFromSettings(index_, &error);
  prefix_setting_ = Setting(settings::topic_prefix);
  prefixes_ = core::ParseTopicPrefixList(prefix_setting_).prefixes;
  if (prefixes_.empty()) prefixes_.push_back("ESP32CAM");
  if (!error.empty()) NoteError(error);
  client_ = std::make_unique<mqtt::Client>(config_);
  std::string broker = config_.host + ":" + std::to_string(config_.port);
  SetWorkerConnection(MyProcPid, false, broker);
  if (!client_->Connect()) {
    int64_t delay = reconnect_backoff_.NextDelayMs();
    NoteError("MQTT " + client_->error() + " (" + broker + "), retrying in " +
              std::to_string(delay) + " ms");
    next_connect_ms_ = NowMs() + delay;
    DropClient();
  }
  BuildWaitSet();
}

// Builds the wait set for the current connection (or for none). Called when the socket changes:
// after a connection attempt starts and after the client is dropped.
void Worker::BuildWaitSet() {
  int socket = client_ ? client_->Socket() : -1;
  if (wait_set_ != nullptr && socket == wait_socket_) return;
  PgCall([&]() {
    if (wait_set_ != nullptr) FreeWaitEventSet(wait_set_);
    wait_set_ = CreateWaitEventSet(TopMemoryContext, 3);
    AddWaitEventToSet(wait_set_, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, nullptr);
    AddWaitEventToSet(wait_set_, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, nullptr, nullptr);
    mqtt_slot_ = -1;
    mqtt_events_ = 0;
    if (socket >= 0) {
      mqtt_events_ = WL_SOCKET_READABLE;
      mqtt_slot_ = AddWaitEventToSet(wait_set_, mqtt_events_, socket, nullptr, nullptr);
    }
  });
  wait_socket_ = socket;
}

void Worker::ReloadSettings() {
  PgCall([]() {
    ConfigReloadPending = false;
    ProcessConfigFile(PGC_SIGHUP);
  });
  std::string error;
  mqtt::ClientConfig fresh = ConfigFromSettings(index_, &error);
  if (fresh != config_ || Setting(settings::topic_prefix) != prefix_setting_) {
    NoteError("settings changed, reconnecting to the broker");
    if (client_) client_->Disconnect();
    DropClient();
    reconnect_backoff_.Reset();
    next_connect_ms_ = 0;
  }
  work_pending_ = true;
}

void Worker::DriveNetwork(bool mqtt_readable, bool mqtt_writable) {
  if (!client_) return;
  bool ok = true;
  // Read what is there, so a burst of PUBACKs is one database batch, but at most one batch of
  // device messages ahead of the database: libmosquitto PUBACKs a message when it reads it, so
  // everything read and not yet committed is what a crash could lose. One read call can
  // overshoot: libmosquitto reads as many packets per call as it has messages in flight.
  // Readiness is re-checked with poll(), so this also serves calls made between waits.
  const std::size_t read_ahead = static_cast<std::size_t>(settings::batch_size);
  for (int i = 0; ok && i < 20000 && inbound_.size() + client_->queued_events() < read_ahead; ++i) {
    struct pollfd p = {client_->Socket(), POLLIN, 0};
    if (!(mqtt_readable && i == 0) && (p.fd < 0 || poll(&p, 1, 0) <= 0)) break;
    ok = client_->OnReadable();
  }
  if (ok && (mqtt_writable || client_->WantWrite())) ok = client_->OnWritable();
  if (ok) ok = client_->OnTick();
  if (!ok || client_->Socket() < 0) {
    HandleEvents();
    int64_t delay = reconnect_backoff_.NextDelayMs();
    int64_t lived = connected_at_ms_ > 0 ? NowMs() - connected_at_ms_ : -1;
    if (lived >= 0 && lived < kTakeoverWindowMs) {
      ++takeovers_in_a_row_;
      NoteError("MQTT client id takeover: the broker closed the connection " +
                std::to_string(lived) + " ms after accepting it (" +
                std::to_string(takeovers_in_a_row_) +
                " in a row), the mark of another client connecting with client id \"" +
                config_.client_id +
                "\"; give every client its own id (devicewake.mqtt_client_id). Reconnecting in " +
                std::to_string(delay) + " ms");
    } else {
      if (lived >= 0) takeovers_in_a_row_ = 0;
      NoteError("MQTT connection lost: " + client_->error() + ", reconnecting in " +
                std::to_string(delay) + " ms");
    }
    SetWorkerConnection(MyProcPid, false, config_.host + ":" + std::to_string(config_.port));
    DropClient();
    next_connect_ms_ = NowMs() + delay;
  }
}

// Lets go of the MQTT client. Its publishes still awaiting a PUBACK are abandoned: their claims
// go back to pending at the next flush and they are published again on the next connection,
// which numbers its message ids from 1 again (a kept entry would be overwritten and its command
// left claimed for good).
void Worker::DropClient() {
  for (const auto& [mid, flight] : in_flight_) abandoned_.push_back(flight.command_id);
  in_flight_.clear();
  earliest_deadline_ms_ = INT64_MAX;
  connected_at_ms_ = 0;
  client_.reset();
  BuildWaitSet();
}

void Worker::HandleEvents() {
  if (!client_) return;
  for (mqtt::Event& e : client_->TakeEvents()) {
    switch (e.kind) {
      case mqtt::Event::Kind::kConnected:
        reconnect_backoff_.Reset();
        connected_at_ms_ = NowMs();
        SetWorkerConnection(MyProcPid, true, config_.host + ":" + std::to_string(config_.port));
        // Every worker subscribes to every device topic and applies only its own devices'
        // messages (OwnsMessage): a device's messages are then applied by one worker, in the
        // order the broker delivered them. (A shared subscription hands each message to any
        // member, and the wake conversation breaks when a device's messages are applied out of
        // order: a METADATA repeat applied after its image completed re-sends the sleep
        // signal, which the camera's persistent session delivers at its next wake, ending that
        // wake at once.) A shared subscription an earlier build left in the persistent session
        // is dropped, after the plain one is in place.
        for (const std::string& filter : core::InboundSubscriptions(prefixes_, false)) {
          if (!client_->Subscribe(filter, 1)) NoteError("MQTT " + client_->error());
        }
        for (const std::string& filter : core::InboundSubscriptions(prefixes_, true)) {
          if (!client_->Unsubscribe(filter)) NoteError("MQTT " + client_->error());
        }
        work_pending_ = true;
        break;
      case mqtt::Event::Kind::kConnectFailed:
        NoteError(client_->error());
        break;
      case mqtt::Event::Kind::kDisconnected:
        break;
      case mqtt::Event::Kind::kPublished: {
        auto it = in_flight_.find(e.code);
        if (it != in_flight_.end()) {
          delivered_.push_back(it->second.command_id);
          in_flight_.erase(it);
        }
        break;
      }
      case mqtt::Event::Kind::kMessage:
        if (workers_ == 1 || OwnerOf(e) == index_) inbound_.push_back(std::move(e));
        break;
    }
  }
}

// Claims and publishes due commands until the queue is empty or the in-flight window or the
// connection stops it (then work stays pending). When the queue is empty, the timer is set to
// the next scheduled_for or expires_at, read in the transaction of the claim that found nothing
// more: with one now() for both, a command that became due between two transactions can never
// be missed by the claim and skipped by the timer.
void Worker::Dispatch() {
  const bool only_awake = settings::dispatch_policy == settings::kOnWake;
  bool first = true;
  std::size_t claimed_total = 0;
  while (client_ && client_->connected() && in_flight_.size() < kMaxInFlight) {
    int limit = static_cast<int>(
        std::min<std::size_t>(settings::batch_size, kMaxInFlight - in_flight_.size()));
    std::vector<ClaimedCommand> claimed;
    std::optional<TimestampTz> next_timer;
    pg_atomic_add_fetch_u64(&SharedWorkerState()->counters.dispatch_scans, 1);
    // One transaction per round: record the PUBACKs collected so far, then claim the next batch.
    InTransaction("claiming due commands", [&]() {
      FlushDeliveries();
      if (first)
        pg_atomic_add_fetch_u64(&SharedWorkerState()->counters.expired, commands_.ExpireOverdue());
      claimed = commands_.ClaimDue(limit, only_awake);
      if (static_cast<int>(claimed.size()) < limit) next_timer = commands_.NextTimer();
    });
    first = false;
    claimed_total += claimed.size();
    int64_t deadline = NowMs() + static_cast<int64_t>(settings::publish_timeout) * 1000;
    int64_t now_seconds = static_cast<int64_t>(time(nullptr));
    for (ClaimedCommand& c : claimed) {
      // Topics are built only from identifiers that normalise to themselves, on the prefix the
      // device used (when it is still configured).
      const std::string& prefix =
          std::find(prefixes_.begin(), prefixes_.end(), c.topic_prefix) != prefixes_.end()
              ? c.topic_prefix
              : prefixes_.front();
      core::OutboundTopic topic =
          core::TopicFor(prefix, c.device_mac, core::ChannelFor(c.command_type));
      if (!topic.ok) {
        permanent_failures_.push_back({c.command_id, topic.error});
        continue;
      }
      core::OutboundBody body =
          core::BuildCommandBody(c.command_type, c.payload_json, c.device_mac, now_seconds);
      if (!body.ok) {
        permanent_failures_.push_back({c.command_id, body.error});
        continue;
      }
      int mid = client_->Publish(topic.topic, body.body, 1);
      if (mid < 0) {
        publish_failures_.push_back({c.command_id, "publish failed: " + client_->error()});
        continue;
      }
      pg_atomic_add_fetch_u64(&SharedWorkerState()->counters.published, 1);
      if (c.publish_count > 1)
        pg_atomic_add_fetch_u64(&SharedWorkerState()->counters.republished, 1);
      in_flight_[mid] = InFlight{c.command_id, deadline};
      earliest_deadline_ms_ = std::min(earliest_deadline_ms_, deadline);
    }
    // A device's conversation messages wait for its due application commands (the claim skips
    // them meanwhile): after claiming application commands, look once more.
    bool again = std::any_of(claimed.begin(), claimed.end(),
                             [](const ClaimedCommand& c) { return c.from_application; });
    if (static_cast<int>(claimed.size()) < limit && !again) {
      // Rounded up to the millisecond: waking early would only find the command not yet due.
      next_timer_ms_ = next_timer ? (*next_timer + 999) / 1000 : -1;
      int64_t now = NowMs();
      next_scan_ms_ = claimed_total == 0 ? now + idle_scans_.Take(now) : 0;
      return;
    }
    // A full batch: push bytes out and collect PUBACKs before claiming more.
    DriveNetwork(false, false);
    HandleEvents();
  }
  // Stopped by the in-flight window or the connection, not by an empty queue: come back.
  work_pending_ = true;
}

// Writes what the broker and publishing reported: PUBACKs (sent), claims abandoned with a lost
// connection (pending again), failed attempts, payloads that can never be published. Runs inside
// the caller's transaction.
void Worker::FlushDeliveries() {
  if (!HasDeliveriesToFlush()) return;
  commands_.MarkSent(delivered_);
  if (!abandoned_.empty()) {
    uint64 released = commands_.ReleaseClaims(abandoned_);
    if (released > 0) {
      PgCall([&]() {
        ereport(LOG, (errmsg("pg_devicewake: %llu commands awaiting a PUBACK on the lost "
                             "connection returned to pending",
                             static_cast<unsigned long long>(released))));
      });
      work_pending_ = true;
    }
    abandoned_.clear();
  }
  uint64 failed = commands_.RecordPublishFailures(publish_failures_);
  failed += commands_.FailPermanently(permanent_failures_);
  pg_atomic_add_fetch_u64(&SharedWorkerState()->counters.delivered, delivered_.size());
  pg_atomic_add_fetch_u64(&SharedWorkerState()->counters.failed, failed);
  if (!publish_failures_.empty()) work_pending_ = true;
  delivered_.clear();
  publish_failures_.clear();
  permanent_failures_.clear();
}

// Applies what devices sent (this worker's devices' only, see HandleEvents), batch_size messages
// per transaction; with several workers under this worker's ingest lock (kIngestLockKey).
void Worker::Ingest() {
  while (!inbound_.empty()) {
    std::size_t n =
        std::min<std::size_t>(inbound_.size(), static_cast<std::size_t>(settings::batch_size));
    std::vector<mqtt::Event> batch(std::make_move_iterator(inbound_.begin()),
                                   std::make_move_iterator(inbound_.begin() + n));
    inbound_.erase(inbound_.begin(), inbound_.begin() + n);
    ApplyMessages(batch, workers_ == 1 ? -1 : index_);
  }
}

// The worker that applies a device message: FNV-1a of its topic's (normalised) MAC modulo
// devicewake.workers (any function every worker shares would do); worker 0 for a topic that names
// no device (such a message is only recorded as rejected).
int Worker::OwnerOf(const mqtt::Event& message) const {
  core::InboundTopic topic =
      core::ParseInboundTopic(message.topic, prefixes_, settings::allow_separated_mac_topics);
  if (!topic.ok) return 0;
  return static_cast<int>(Fnv1a(topic.device_id) % static_cast<uint32>(workers_));
}

// Applies `batch` in one transaction (holding ingest lock `lock` unless it is < 0). If the batch
// raises an error, it is applied again one message per transaction, so the one that cannot be
// applied is recorded in rejected_messages with the error and the rest flow on. The answers (the
// wake conversation's next messages) are commands queued in the same transaction: dispatched
// next.
void Worker::ApplyMessages(const std::vector<mqtt::Event>& batch, int lock) {
  std::vector<InboundOutcome> outcomes(1);
  try {
    InTransaction("applying device messages", [&]() {
      if (lock >= 0) LockIngest(lock);
      outcomes[0] = inbound_store_.Apply(batch, prefixes_);
    });
  } catch (const SqlError& batch_error) {
    outcomes.clear();
    for (const mqtt::Event& message : batch) {
      InboundOutcome one;
      for (int attempt = 1;; ++attempt) {
        try {
          InTransaction("applying one device message", [&]() {
            if (lock >= 0) LockIngest(lock);
            one = inbound_store_.Apply({message}, prefixes_);
          });
          break;
        } catch (const SqlError& e) {
          // a deadlock, a lock timeout or a cancel is the moment's fault, not the message's
          if (IsTransient(e.sqlstate()) && attempt < kTransientAttempts) continue;
          InTransaction("recording a rejected message",
                        [&]() { inbound_store_.Reject(message, prefixes_, e.message()); });
          one = InboundOutcome{};
          one.rejected = 1;
          break;
        }
      }
      outcomes.push_back(std::move(one));
    }
  }
  for (const InboundOutcome& o : outcomes) {
    pg_atomic_add_fetch_u64(&SharedWorkerState()->counters.ingested, o.applied);
    pg_atomic_add_fetch_u64(&SharedWorkerState()->counters.rejected, o.rejected);
    pg_atomic_add_fetch_u64(&SharedWorkerState()->counters.acknowledged, o.acknowledged);
    if (o.commands_queued) work_pending_ = true;
  }
}

// PUBACK timeouts count as publish failures. The map is scanned only once its earliest deadline
// has passed (a lower bound: entries PUBACKed since may have held it).
void Worker::ExpireInFlight() {
  int64_t now = NowMs();
  if (in_flight_.empty() || earliest_deadline_ms_ > now) return;
  earliest_deadline_ms_ = INT64_MAX;
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->second.deadline_ms <= now) {
      publish_failures_.push_back(
          {it->second.command_id, "no PUBACK from the broker within devicewake.publish_timeout"});
      it = in_flight_.erase(it);
    } else {
      earliest_deadline_ms_ = std::min(earliest_deadline_ms_, it->second.deadline_ms);
      ++it;
    }
  }
}

// Claims and publishes when a wake-up, the timer or the safety scan says there may be work;
// otherwise only records what the broker reported (the claim's transaction does that too).
void Worker::DispatchDue() {
  int64_t now = NowMs();
  bool timer_due = next_timer_ms_ >= 0 && next_timer_ms_ <= now;
  if (now >= next_safety_ms_) {
    work_pending_ = true;
    next_safety_ms_ = now + kSafetyScanMs;
  }
  bool dispatching =
      ((work_pending_ && now >= next_scan_ms_) || timer_due) && client_ && client_->connected();
  if (!dispatching) {
    if (HasDeliveriesToFlush()) InTransaction("recording deliveries", [&]() { FlushDeliveries(); });
    return;
  }
  work_pending_ = false;
  Dispatch();
}

// Once a second, after publishing so it never delays a due command: cameras silent for
// session_idle_timeout are asleep (their sessions end, so on_wake holds their commands), and
// quiet uploads of the cameras still awake are asked for their missing chunks.
// With several workers, worker 0 alone does it for the whole fleet (its statements span devices
// of every share); what it queues wakes each device's owner at commit.
void Worker::Housekeeping() {
  int64_t now = NowMs();
  if (index_ != 0) return;
  if (now < next_housekeeping_ms_ || !client_ || !client_->connected()) return;
  next_housekeeping_ms_ = now + 1000;
  uint64 requested = 0;
  InTransaction("ending idle wake sessions and requesting missing chunks", [&]() {
    if (workers_ > 1) {  // every worker's ingest lock, in ascending order (kIngestLockKey)
      Datum args[2] = {Int32GetDatum(kIngestLockKey), Int32GetDatum(workers_)};
      all_ingest_locks_plan.Execute(args, nullptr, false);
    }
    inbound_store_.EndIdleWakeSessions(settings::session_idle_timeout);
    requested = inbound_store_.RequestMissingChunks(settings::chunk_quiet_period,
                                                    settings::max_resend_requests);
    requested += RunFleetTick();  // campaign pacing and abort, missed manual wakes (issue 16)
  });
  if (requested > 0) work_pending_ = true;
}

long Worker::NextTimeoutMs() {
  int64_t now = NowMs();
  int64_t wake = now + kTickMs;
  auto consider = [&](int64_t at) {
    if (at >= 0 && at < wake) wake = at;
  };
  consider(next_safety_ms_);
  if (!client_) consider(next_connect_ms_);
  // (a full in-flight window waits for PUBACKs, whatever the timer says)
  if (client_ && client_->connected() && in_flight_.size() < kMaxInFlight) {
    consider(next_timer_ms_);
  }
  if (!in_flight_.empty()) consider(earliest_deadline_ms_);
  if (work_pending_ && client_ && client_->connected() && in_flight_.size() < kMaxInFlight)
    wake = std::min(wake, std::max(now, next_scan_ms_));
  if (!inbound_.empty()) wake = now;  // device messages read during a dispatch: apply them now
  return static_cast<long>(std::max<int64_t>(0, wake - now));
}

// Waits (on the latch, so SIGTERM and SIGHUP are served) until pg_devicewake is installed in
// devicewake.database at the version this library was built for: the worker starts with the
// server, possibly before CREATE EXTENSION, and a new library may be installed before ALTER
// EXTENSION pg_devicewake UPDATE, when the catalog still lacks what this worker calls. What it
// waits for is logged once per change and shown in worker_status().last_error.
void Worker::WaitForExtension() {
  std::string reported;
  SetWorkerConnection(MyProcPid, false, "");
  for (;;) {
    std::optional<std::string> version;
    InTransaction("waiting for pg_devicewake " DW_EXTVERSION, [&]() {
      if (version_plan.Execute(nullptr, nullptr, true, 1) > 0) version = SpiText(0, 1);
    });
    if (version && *version == kLibraryVersion) {
      if (!reported.empty()) {
        ClearWorkerError();
        PgCall([&]() {
          ereport(LOG, (errmsg("pg_devicewake worker starting: extension version %s installed",
                               kLibraryVersion)));
        });
      }
      return;
    }
    std::string waiting = !version
                              ? "waiting for CREATE EXTENSION pg_devicewake in database \"" +
                                    Setting(settings::database) + "\""
                              : "waiting for ALTER EXTENSION pg_devicewake UPDATE in database \"" +
                                    Setting(settings::database) + "\": it is at version " +
                                    *version + ", the library needs " + kLibraryVersion;
    if (waiting != reported) {
      NoteError(waiting);
      reported = waiting;
    }
    PgCall([]() {
      (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 2000,
                      PG_WAIT_EXTENSION);
      ResetLatch(MyLatch);
      CHECK_FOR_INTERRUPTS();
      if (ShutdownRequestPending) proc_exit(1);
      if (ConfigReloadPending) {
        ConfigReloadPending = false;
        ProcessConfigFile(PGC_SIGHUP);
      }
    });
  }
}

// Where worker 0 keeps the worker count the cluster last ran with, to know which client ids it
// no longer uses (in the data directory: it belongs to this cluster, like its MQTT sessions).
std::string WorkerCountFile() { return std::string(DataDir) + "/pg_devicewake.workers"; }

// Worker 0, at start: when the cluster last ran with more workers than now, the broker still
// keeps the persistent sessions of the retired ones' client ids with their subscriptions, and
// queues every device message for them for good: each is discarded.
// Then the current count is written down. A broker out of reach leaves the file as it was, so
// the next start tries again (and the error is reported). Blocks for at most 2 s per retired id.
void Worker::RetireSessions() {
  int last = 1;
  {
    std::ifstream in(WorkerCountFile());
    if (in) in >> last;
  }
  if (last == workers_) return;
  std::string error;
  mqtt::ClientConfig config = ConfigFromSettings(0, &error);
  for (int index = std::max(workers_, 1); index < std::min(last, settings::kMaxWorkers); ++index) {
    mqtt::ClientConfig retired = config;
    retired.client_id += "_" + std::to_string(index);
    if (!mqtt::DiscardSession(retired, 2000, &error)) {
      NoteError("could not discard the MQTT session of retired worker client id \"" +
                retired.client_id + "\": " + error + "; trying again at the next start");
      return;
    }
    PgCall([&]() {
      ereport(LOG, (errmsg("pg_devicewake: discarded the MQTT session of retired worker client "
                           "id \"%s\"",
                           retired.client_id.c_str())));
    });
  }
  std::ofstream out(WorkerCountFile(), std::ios::trunc);
  out << workers_ << "\n";
}

// Before the loop: scratch memory, the extension installed (at the library's version), claims
// a previous worker left returned to pending, and the latch published for committing backends.
void Worker::Start() {
  scratch_ = PgCall([]() {
    return AllocSetContextCreate(TopMemoryContext, "pg_devicewake worker scratch",
                                 ALLOCSET_DEFAULT_SIZES);
  });
  WaitForExtension();
  if (index_ == 0) RetireSessions();
  InTransaction("releasing orphaned claims", [&]() {
    uint64 released = commands_.ReleaseOrphanedClaims();
    if (released > 0) {
      PgCall([&]() {
        ereport(LOG, (errmsg("pg_devicewake: %llu claimed commands returned to pending",
                             static_cast<unsigned long long>(released))));
      });
    }
  });
  // From here on a commit that enqueues work sets this process's latch.
  PublishWorkerLatch(MyProc->pgprocno);
  BuildWaitSet();
}

// Sleeps until the latch is set, the MQTT socket is ready, or the nearest timer that matters;
// then serves interrupts and takes the commits' wake-up request.
void Worker::WaitForWork() {
  mqtt_readable_ = mqtt_writable_ = false;
  long timeout = NextTimeoutMs();
  PgCall([&]() {
    if (mqtt_slot_ >= 0) {
      uint32 wanted = WL_SOCKET_READABLE | (client_->WantWrite() ? WL_SOCKET_WRITEABLE : 0);
      if (wanted != mqtt_events_) {
        ModifyWaitEvent(wait_set_, mqtt_slot_, wanted, nullptr);
        mqtt_events_ = wanted;
      }
    }
    WaitEvent events[3];
    int n = WaitEventSetWait(wait_set_, timeout, events, 3, PG_WAIT_EXTENSION);
    for (int i = 0; i < n; ++i) {
      if (events[i].pos == mqtt_slot_) {
        mqtt_readable_ |= (events[i].events & WL_SOCKET_READABLE) != 0;
        mqtt_writable_ |= (events[i].events & WL_SOCKET_WRITEABLE) != 0;
      }
    }
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
  });
  // After ResetLatch: a commit from now on finds the request taken and sets the latch again.
  if (TakeWakeRequest()) work_pending_ = true;
}

// The broker side: (re)connect when the backoff allows, read and write what the socket is ready
// for, keepalive, and turn libmosquitto's callbacks into work.
void Worker::ServeConnection() {
  if (!client_ && NowMs() >= next_connect_ms_) Connect();
  DriveNetwork(mqtt_readable_, mqtt_writable_);
  HandleEvents();
}

// pg_cron's shape: each turn is wait, then the named steps, then the scratch memory is reset.
void Worker::Run() {
  Start();
  for (;;) {
    WaitForWork();
    if (ShutdownRequestPending) {
      ApplyBeforeExit();
      return;
    }
    if (ConfigReloadPending) ReloadSettings();
    ServeConnection();
    ExpireInFlight();
    Ingest();
    DispatchDue();
    Housekeeping();
    PgCall([&]() { MemoryContextReset(scratch_); });
  }
}

// On a shutdown request: apply the device messages already read (the broker considers them
// delivered) and record the PUBACKs already received, then stop. Nothing new is read.
void Worker::ApplyBeforeExit() {
  HandleEvents();
  Ingest();
  if (HasDeliveriesToFlush()) {
    InTransaction("recording deliveries", [&]() { FlushDeliveries(); });
  }
}

void Worker::Shutdown() {
  if (client_) client_->Disconnect();
  client_.reset();
  WithdrawWorkerLatch();
  SetWorkerConnection(0, false, "");
}

// on_proc_exit callback, registered before the resources it frees are created.
void CleanupAtExit(int code, Datum arg) {
  if (running_worker == nullptr) return;
  try {
    running_worker->Shutdown();
  } catch (...) {
  }
}

}  // namespace

// devicewake.workers workers, numbered from 0 (bgw_main_arg); one keeps the name it always had.
void RegisterWorker() {
  RequestWorkerState();
  for (int index = 0; index < settings::workers; ++index) {
    BackgroundWorker worker;
    memset(&worker, 0, sizeof(worker));
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = 1;
    worker.bgw_main_arg = Int32GetDatum(index);
    snprintf(worker.bgw_library_name, BGW_MAXLEN, "pg_devicewake");
    snprintf(worker.bgw_function_name, BGW_MAXLEN, "devicewake_worker_main");
    if (settings::workers == 1) {
      snprintf(worker.bgw_name, BGW_MAXLEN, "pg_devicewake worker");
    } else {
      snprintf(worker.bgw_name, BGW_MAXLEN, "pg_devicewake worker %d", index);
    }
    snprintf(worker.bgw_type, BGW_MAXLEN, "pg_devicewake worker");
    RegisterBackgroundWorker(&worker);
  }
}

}  // namespace devicewake::pg

void devicewake_worker_main(unsigned long main_arg) {
  using namespace devicewake::pg;
  const int index = DatumGetInt32(static_cast<Datum>(main_arg));
  SetWorkerIndex(index);  // before anything touches this worker's slot of shared memory
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  // SIGTERM asks the loop to stop (not `die`): messages already read, and so already PUBACKed
  // to the devices, are applied before the worker exits.
  pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
  BackgroundWorkerUnblockSignals();
  if (!settings::enabled) {
    ereport(LOG, (errmsg("pg_devicewake worker disabled by devicewake.enabled")));
    proc_exit(0);
  }
  BackgroundWorkerInitializeConnection(settings::database, nullptr, 0);
  pgstat_report_appname("pg_devicewake worker");
  // The worker is a superuser: every name in its SQL must resolve in pg_catalog, whatever
  // search_path the database or role sets (ALTER DATABASE ... SET search_path = public, ...
  // would otherwise let the database owner plant public.now() or an operator and run code as
  // superuser). PGC_S_OVERRIDE outranks every per-database, per-role and session setting.
  SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
  // (The worker's own statements are planned for their real arguments: SavedPlan, spi.hpp. A
  // session-wide force_custom_plan made every statement of every PL/pgSQL function it calls be
  // planned again at each call: 30 % of the ingest profile.)
  on_proc_exit(CleanupAtExit, 0);

  ErrorReport report;
  bool failed = false;
  {
    Worker worker(index);
    running_worker = &worker;
    try {
      worker.Run();
    } catch (...) {
      CaptureCurrentException(&report);
      failed = true;
    }
    if (failed) {
      // The device messages already read were PUBACKed to the devices: apply them before the
      // worker exits (best effort; the error above is the one reported either way).
      try {
        worker.ApplyBeforeExit();
      } catch (...) {
      }
      worker.Shutdown();
    }
    running_worker = nullptr;
  }
  if (failed) RaiseReport(report);  // ERROR in a background worker: logged, exit 1, restarted
  ereport(LOG, (errmsg("pg_devicewake worker stopping on request, buffered messages applied")));
  proc_exit(1);  // non-zero: after pg_terminate_backend the postmaster starts it again
}

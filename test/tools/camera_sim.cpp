// camera_sim: a fleet of simulated ESP32-CAM cameras that behave like the firmware in the wake
// conversation of docs/design.md §8.1: a camera says HELLO and then only answers what the server
// tells it (capture_image, send_image, send_all_pending, missing chunks, ACK_OK, the sleep signal);
// it never uploads on its own. Used by the integration tests, the ingest benchmark and `make demo`.
// One MQTT connection per camera (persistent session, client id "camsim-{MAC}", disconnected
// while asleep); progress on stdout, one event a line ("EVENT CAM field…"); `--help` lists all.
// Threads: libmosquitto's threaded loop per camera feeds the camera's inbox; one agent thread per
// awake camera runs its state machine (a test tool; the extension never does this).
#include <libpq-fe.h>
#include <mosquitto.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/base64.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using SysClock = std::chrono::system_clock;
using Json = nlohmann::ordered_json;  // keeps the firmware's field order on the wire

const char* kUsage =
    R"(usage: camera_sim [options] fleet|script|bench|baseline-broker|baseline-insert

Each simulated camera behaves like the ESP32-CAM firmware (docs/design.md §8.1). It wakes, connects
(persistent session, client id camsim-{MAC}), subscribes {prefix}/{MAC}/cmd and /ack, publishes
HELLO on /status {"device_id":MAC,"status":"Alive","pendingImg":N,"pending_list":[at most 10
names]} (N = images it holds), and then waits to be told; it never uploads on its own:
  /cmd {"capture_image":true}    take a picture (image_N.jpg of --image-size bytes), publish its
                                 METADATA on /data, wait for the send_image of that name
  /cmd {"send_image":NAME}       METADATA and every chunk of NAME on /data (the METADATA again
                                 every 10 chunks), then wait for ACK_OK; a NAME it does not hold
                                 is ignored
  /cmd {"send_all_pending":true} the same for each held image in turn, the next one after the
                                 ACK_OK of the previous
  /ack {"image_name":NAME,"missing_chunks":[…]}  re-send exactly those chunks
  /ack {"image_name":NAME,"ACK_OK":true}         NAME is delivered: deleted; stay awake
  /ack {…,"ACK_OK":{"next_wake_time":"5:30PM"}}  the sleep signal: delete NAME (if given), sleep
                                 at once until that UTC time of day; the first one ends the wake,
                                 nothing after it is acted on
  /cmd {"next_wake":"2:31PM"}    set_wake_schedule: remember the time (a later sleep signal's
                                 time wins) and acknowledge
  /cmd ping, reboot, firmware_url (update_firmware), any other body (update_config): acknowledge
Acknowledge = {"device_id":MAC,"command_ack":"acknowledged"} on /ack (with the command's
command_id if it had one). Silence for --listen-timeout seconds (--ack-timeout while an image it
sent awaits its ACK_OK) makes it sleep.

modes:
  fleet            --cameras cameras wake repeatedly for --duration seconds; after each wake a
                   camera sleeps until the wake time it was told (+ --wake-delay), or, when it
                   holds none still ahead (a time told less than 30 s after it passed counts as
                   passed), until the next multiple of --fallback-wake seconds (UTC)
  script           one directive per stdin line (below); for tests
  bench            --cameras cameras wake at once and do what the server tells them (capture,
                   send_image, chunks, ACK_OK, sleep); prints chunks/s, the end-to-end p50/p99
                   per image (first METADATA -> ACK_OK) and a byte-exact check of every delivered
                   image over libpq (PG* environment); exit 0 when every camera delivered an
                   image and was told to sleep and every delivered image is byte-exact
  baseline-broker  the same chunk messages through the broker to one plain subscriber
  baseline-insert  the same chunks INSERTed over libpq, one row per statement

options [defaults]:
  --host H [127.0.0.1]  --port P [$DW_MQTT_PORT, else 1883]  --prefix P [ESP32CAM]
  --cameras N [1]  --mac-prefix HEX [CA]  --image-size BYTES [71680]  --chunk-size BYTES [1024]
  --listen-timeout S [10]  --ack-timeout S [the listen timeout]
  --pending N [0]        every camera starts holding N images from an earlier wake
  --image-base N         number of a camera's first image [1; bench: the Unix time, so that a
                         rerun against the same cluster never reuses an image name]
  --sleep-cameras MAC|INDEX[,…]  --sleep-fraction F [0]   these cameras fall asleep during their
                         first upload, after --sleep-after K chunks [half of the image's]
  --drop-chunks I[,…]    every camera leaves these chunk indexes out of an image's first send
  --mute-cameras MAC|INDEX[,…]   these cameras say HELLO and then ignore everything
  --duplicate F [0]      share of chunks sent twice      --shuffle   chunks out of order
  --seed N [1]           --no-verify   bench: skip the byte-exact check
  --duration S [60]  --wake-delay S [0]  --fallback-wake S [60]   fleet

script directives (one a line, '#' starts a comment; CAM is a normalised MAC, a camera created on
first use; a failed wait or check is counted: "DONE script failures=N", exit 1; a bad directive
stops the script, exit 2):
  hold CAM NAME SIZE           CAM holds an image from an earlier wake (listed in its HELLO)
  next-capture CAM NAME SIZE   CAM's next capture_image takes NAME of SIZE bytes
  fault CAM sleep-after K      fall asleep after sending K chunks of an image (once)
  fault CAM drop I[,…]         leave these chunks out of each image's first send
  fault CAM mute               ignore everything after the HELLO, even the sleep signal
  fault CAM delay S            take S seconds before acting on each message (a slow camera;
                               a sleep signal cuts the wait short)
  fault CAM duplicate F | fault CAM shuffle | fault CAM none
  wake CAM                     connect, HELLO, then behave as above until it sleeps; runs on its
                               own (the next directive is read at once)
  wait-sleep CAM SECONDS       wait until CAM's wake has ended
  wait-cmd CAM TYPE SECONDS    wait until CAM has taken, in its current or last wake, a message
                               of TYPE no earlier wait-cmd consumed: capture_image send_image
                               send_all_pending set_wake_schedule ping reboot update_config
                               update_firmware missing_chunks ACK_OK sleep_signal
  wait-ack CAM NAME SECONDS    wait until NAME was delivered (ACK_OK or the sleep signal)
  sleep CAM                    end CAM's wake now, as a brownout would
  send-raw CAM SUBTOPIC JSON…  publish a body as given on {prefix}/CAM/SUBTOPIC (through CAM's
                               session while awake, else through a separate clean client)
  verify CAM NAME              compare the stored image with CAM's bytes over libpq
  quit

events on stdout, one a line, flushed:
  WAKE CAM                     connected and subscribed
  HELLO CAM pending N
  CMD CAM TYPE [NAME|TIME]     a command taken (capture_image, send_image NAME,
                               send_all_pending, set_wake_schedule TIME, ping, …)
  CAPTURE CAM NAME BYTES       a picture taken
  METADATA CAM NAME N chunks   after a capture and at the start of each send
  UPLOADED CAM NAME N chunks [dropped K]
  STOPPED CAM NAME K/N         a sleep signal (or sleep) arrived mid-send
  MISSING CAM NAME N chunks    then RESENT CAM NAME N chunks
  ACK_OK CAM NAME              delivered and deleted
  IGNORED CAM WHAT… REASON     not acted on: not-held, none-held, mute, after-sleep, wrong-topic,
                               unparsable
  SLEEP CAM signal TIME | timeout | mid-upload NAME K/N | forced | quit
  NEXT_WAKE CAM HH:MM:SSZ in Ns   fleet: when it wakes again
  HOLD, NEXT_CAPTURE, FAULT, RAW CAM SUBTOPIC   script directives taken
  VERIFY CAM NAME ok|mismatch|missing|unknown
  TIMEOUT CAM wait-sleep | wait-cmd TYPE | wait-ack NAME
  ERROR CAM …   DONE fleet   DONE script failures=N
)";

// ---------------------------------------------------------------- options and output

constexpr int kSleepHalfway = -2;         // Faults::sleep_after: after half of the image's chunks
constexpr int kMetadataEvery = 10;        // the firmware repeats its METADATA every 10 chunks
constexpr size_t kPendingListMax = 10;    // the firmware caps pending_list at 10 names
constexpr double kWakeGraceSeconds = 30;  // a time of day this recently past is still "now"

// What a camera does wrong, for tests. sleep_after fires once (a brownout), the rest persist.
struct Faults {
  int sleep_after = -1;  // chunks sent before falling asleep mid-upload; -1: never
  std::set<int> drop;    // chunk indexes left out of an image's first send
  bool mute = false;     // HELLO, then ignores everything
  double duplicate = 0;  // share of chunks sent twice
  bool shuffle = false;  // chunks out of order
  double delay = 0;      // seconds it takes before acting on each message (a slow camera)
};

struct Options {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string prefix = "ESP32CAM";
  int cameras = 1;
  std::string mac_prefix = "CA";
  int image_size = 70 * 1024;
  int chunk_size = 1024;
  double listen_timeout = 10;  // silence after which an awake camera sleeps
  double ack_timeout = -1;     // silence allowed while awaiting an ACK_OK (-1: listen_timeout)
  int pending = 0;             // images every camera holds at start
  long image_base = -1;        // number of the first image (-1: 1, bench: the Unix time)
  double sleep_fraction = 0;   // share of cameras that fall asleep during their first upload
  std::set<std::string> sleep_cameras;  // MACs or 0-based indexes that do
  int sleep_after = kSleepHalfway;      // chunks they send before falling asleep
  std::set<int> drop_chunks;            // every camera's first send leaves these out
  std::set<std::string> mute_cameras;   // MACs or 0-based indexes that never answer
  double duplicate_fraction = 0;        // share of chunks sent twice
  bool shuffle = false;                 // chunks out of order
  double duration = 60;                 // fleet mode: seconds to run
  double wake_delay = 0;                // fleet mode: seconds late after each wake time
  double fallback_wake = 60;            // fleet mode: wake on multiples of this when told none
  std::string firmware = "camsim-2.0";
  unsigned seed = 1;
  bool verify = true;
};

std::mutex g_out_mutex;

// Prints one event line and flushes it, so that tests can wait on it. Any thread.
void Out(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_out_mutex);
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::chrono::duration<double> Span(double seconds) {
  return std::chrono::duration<double>(seconds);
}

SysClock::duration SysSpan(double seconds) {
  return std::chrono::duration_cast<SysClock::duration>(Span(seconds));
}

int ChunkCount(size_t bytes, int chunk_size) {
  return static_cast<int>((bytes + chunk_size - 1) / chunk_size);
}

// ---------------------------------------------------------------- images and times of day

// A synthetic JPEG of exactly size bytes: FF D8 FF E0, pseudo-random content seeded by MAC and
// name (the same bytes on every platform, so a stored image can be checked byte for byte), FF D9.
std::string MakeJpeg(const std::string& mac, const std::string& name, int size) {
  size = std::max(size, 6);
  std::string bytes(size, '\0');
  std::uint32_t seed = 2166136261u;  // FNV-1a of "MAC/name"
  for (char c : mac + "/" + name) seed = (seed ^ static_cast<unsigned char>(c)) * 16777619u;
  std::mt19937 rng(seed);
  for (int i = 0; i < size; ++i) bytes[i] = static_cast<char>(rng() & 0xFF);
  const unsigned char head[] = {0xFF, 0xD8, 0xFF, 0xE0};
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>(head[i]);
  bytes[size - 2] = static_cast<char>(0xFF);
  bytes[size - 1] = static_cast<char>(0xD9);
  return bytes;
}

std::string IsoNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The next instant (system clock) at the UTC time of day "5:30PM", as the firmware sets its RTC
// wake-up; one less than kWakeGraceSeconds past is returned as is (the caller treats it as missed).
std::optional<SysClock::time_point> NextWallTime(const std::string& text) {
  int h = 0, m = 0;
  char ampm[3] = {0};
  if (std::sscanf(text.c_str(), "%d:%d%2s", &h, &m, ampm) != 3) return std::nullopt;
  if (h < 1 || h > 12 || m < 0 || m > 59) return std::nullopt;
  bool pm = ampm[0] == 'P' || ampm[0] == 'p';
  auto now = SysClock::now();
  std::time_t t = SysClock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  tm.tm_hour = (h % 12) + (pm ? 12 : 0);
  tm.tm_min = m;
  tm.tm_sec = 0;
  auto candidate = SysClock::from_time_t(timegm(&tm));
  if (candidate + SysSpan(kWakeGraceSeconds) < now) candidate += std::chrono::hours(24);
  return candidate;
}

std::string ClockText(SysClock::time_point t) {
  std::time_t tt = SysClock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

// N of "image_N.jpg", else 0.
long ImageNumber(const std::string& name) {
  long n = 0;
  char tail[8] = {0};
  if (std::sscanf(name.c_str(), "image_%ld.%4s", &n, tail) == 2 && std::strcmp(tail, "jpg") == 0)
    return n;
  return 0;
}

// A picture the camera took, immutable once made (shared with the agent while it streams).
struct Image {
  std::string name;
  long id = 0;           // image_id in METADATA
  std::string captured;  // capture time, the same in every METADATA of this image
  std::string bytes;
};

// ---------------------------------------------------------------- what the server says

// One message from the server (or from the script, kForceSleep), classified on receipt.
struct Message {
  enum Kind {
    kCapture,         // /cmd capture_image
    kSendImage,       // /cmd send_image NAME
    kSendAllPending,  // /cmd send_all_pending
    kSetWake,         // /cmd next_wake (set_wake_schedule)
    kCommand,         // /cmd ping, reboot, update_firmware, update_config
    kMissing,         // /ack missing_chunks
    kAckOk,           // /ack ACK_OK true
    kSleepSignal,     // /ack ACK_OK {next_wake_time}
    kNotForUs,        // /ack without ACK_OK or missing_chunks: our own command_ack echoed back
    kWrongTopic,      // ACK_OK or missing_chunks on /cmd
    kForceSleep,      // the script's `sleep` directive or quit
  };
  Kind kind = kNotForUs;
  std::string type;  // command type as tests name it (wait-cmd TYPE)
  std::string name;  // image name
  std::string wake;  // time of day of next_wake / next_wake_time
  std::vector<int> chunks;
  Json command_id;  // echoed in the command_ack when the command carried one

  // "send_image image_3.jpg", "missing_chunks image_3.jpg 2", …: for IGNORED lines.
  std::string Describe() const {
    std::string text = type;
    if (!name.empty()) text += " " + name;
    if (kind == kMissing) text += " " + std::to_string(chunks.size());
    if (!wake.empty()) text += " " + wake;
    return text;
  }
};

std::string StringField(const Json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

// What a body on /cmd or /ack asks of the camera (docs/design.md §8, server -> device).
Message Classify(bool on_ack_topic, const Json& body) {
  Message m;
  m.name = StringField(body, "image_name");
  if (body.contains("command_id")) m.command_id = body["command_id"];
  bool ack_ok = body.contains("ACK_OK"), missing = body.contains("missing_chunks");
  if (on_ack_topic || ack_ok || missing) {
    if (missing) {
      m.kind = Message::kMissing, m.type = "missing_chunks";
      if (body["missing_chunks"].is_array())
        for (auto& c : body["missing_chunks"])
          if (c.is_number_integer()) m.chunks.push_back(c.get<int>());
    } else if (ack_ok && body["ACK_OK"].is_object() && body["ACK_OK"].contains("next_wake_time")) {
      m.kind = Message::kSleepSignal, m.type = "sleep_signal";
      m.wake = StringField(body["ACK_OK"], "next_wake_time");
    } else if (ack_ok) {
      m.kind = Message::kAckOk, m.type = "ACK_OK";
    }
    if (!on_ack_topic) m.kind = Message::kWrongTopic;
    return m;
  }
  m.name.clear();
  if (body.contains("capture_image")) {
    m.kind = Message::kCapture, m.type = "capture_image";
  } else if (body.contains("send_image")) {
    m.kind = Message::kSendImage, m.type = "send_image";
    m.name = StringField(body, "send_image");
  } else if (body.contains("send_all_pending")) {
    m.kind = Message::kSendAllPending, m.type = "send_all_pending";
  } else if (body.contains("next_wake")) {
    m.kind = Message::kSetWake, m.type = "set_wake_schedule";
    m.wake = StringField(body, "next_wake");
  } else {
    m.kind = Message::kCommand;
    m.type = body.contains("reboot")         ? "reboot"
             : body.contains("firmware_url") ? "update_firmware"
             : body.contains("ping")         ? "ping"
                                             : "update_config";
  }
  return m;
}

// ---------------------------------------------------------------- one camera

// How a wake ended.
struct WakeEnd {
  enum Why { kSignal, kTimeout, kMidUpload, kForced, kNoConnection } why = kTimeout;
  std::string detail;  // signal: the time told; mid-upload: "NAME K/N"; forced: the reason

  std::string Text() const {
    switch (why) {
      case kSignal:
        return "signal " + detail;
      case kTimeout:
        return "timeout";
      case kMidUpload:
        return "mid-upload " + detail;
      case kForced:
        return detail;
      case kNoConnection:
        return "no-connection";
    }
    return "";
  }
};

// One simulated camera. Its wake is a state machine run by one agent thread (RunWake, or
// Hello + Converse after Connect): the inbox holds what the server said, in order; each message
// is handled to the end (a whole image streamed) before the next, as single-threaded firmware
// does, except that a sleep signal stops a stream at the next chunk. Between wakes the camera is
// disconnected and the broker keeps its session (subscriptions and QoS 1 commands).
//
//   state (while awake)  on                         does                       then
//   listening            capture_image              new image, METADATA        listening
//   any                  send_image NAME (held)     METADATA + chunks          awaiting NAME's ACK
//   any                  send_all_pending           streams the first held     draining
//   draining             ACK_OK of the current one  streams the next held      draining/listening
//   any                  missing_chunks NAME        those chunks               awaiting NAME's ACK
//   any                  ACK_OK true NAME           deletes NAME               as before
//   any                  next_wake, ping, …         remembers, command_ack     as before
//   any                  sleep signal               deletes NAME, keeps time   asleep (signal)
//   any                  silence over the limit     -                          asleep (timeout)
//   streaming            sleep-after fault fires    stops sending              asleep (mid-upload)
// The limit is --listen-timeout, or --ack-timeout while an image awaits its ACK_OK.
class Camera {
 public:
  Camera(const Options& opt, std::string mac, int index, Faults faults)
      : opt_(opt),
        mac_(std::move(mac)),
        index_(index),
        rng_(opt.seed * 7919u + index),
        faults_(std::move(faults)) {
    image_counter_ = (opt.image_base >= 1 ? opt.image_base : 1) - 1;
    std::string id = "camsim-" + mac_;
    mosq_ = mosquitto_new(id.c_str(), false, this);  // false: a persistent session
    // (callbacks are set here: setting one from inside a callback deadlocks libmosquitto)
    mosquitto_connect_callback_set(mosq_, &Camera::OnConnect);
    mosquitto_subscribe_callback_set(mosq_, &Camera::OnSubscribe);
    mosquitto_message_callback_set(mosq_, &Camera::OnMessage);
    mosquitto_publish_callback_set(mosq_, &Camera::OnPublish);
    mosquitto_max_inflight_messages_set(mosq_, 0);
  }

  // Ends a wake still running: through the agent when it has one (script mode), else directly
  // (a bench camera connected before another failed to connect).
  ~Camera() {
    if (agent_.joinable()) {
      RequestSleep("quit");
      agent_.join();
    } else if (in_wake_) {
      mosquitto_disconnect(mosq_);
      mosquitto_loop_stop(mosq_, true);
    }
    mosquitto_destroy(mosq_);
  }

  const std::string& mac() const { return mac_; }
  std::string Topic(const std::string& sub) const { return opt_.prefix + "/" + mac_ + "/" + sub; }

  // ------------------------------------------------ setup (any thread, meant while asleep)

  // The camera holds an image it took at an earlier wake and has not delivered.
  void Hold(const std::string& name, int size) {
    std::lock_guard<std::mutex> lock(mutex_);
    AddImageLocked(name, size);
  }

  // A camera's own name for its next picture: image_N.jpg, N one more than the last.
  std::string NewImageName() {
    std::lock_guard<std::mutex> lock(mutex_);
    return "image_" + std::to_string(image_counter_ + 1) + ".jpg";
  }

  void SetNextCapture(const std::string& name, int size) {
    std::lock_guard<std::mutex> lock(mutex_);
    next_capture_name_ = name;
    next_capture_size_ = size;
  }

  Faults faults() {
    std::lock_guard<std::mutex> lock(mutex_);
    return faults_;
  }
  void SetFaults(const Faults& f) {
    std::lock_guard<std::mutex> lock(mutex_);
    faults_ = f;
  }

  // ------------------------------------------------ a wake (the agent thread)

  // Connects (the persistent session brings the commands queued while asleep into the inbox) and
  // waits up to 10 s for the subscription. False when the broker is unreachable.
  bool Connect() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      in_wake_ = true;
      subscribed_ = false;
    }
    interrupt_ = false;
    if (mosquitto_connect(mosq_, opt_.host.c_str(), opt_.port, 30) != MOSQ_ERR_SUCCESS) {
      Out("ERROR " + mac_ + " connect failed");
      EndWake();
      return false;
    }
    mosquitto_loop_start(mosq_);
    std::unique_lock<std::mutex> lock(mutex_);
    bool subscribed = cv_.wait_for(lock, std::chrono::seconds(10), [&] { return subscribed_; });
    lock.unlock();
    if (!subscribed) Out("ERROR " + mac_ + " no SUBACK within 10 s (commands may be missed)");
    Out("WAKE " + mac_);
    return true;
  }

  // HELLO on /status: the images it holds, at most kPendingListMax names.
  void Hello() {
    Json names = Json::array();
    size_t held;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      held = held_.size();
      for (size_t i = 0; i < held && i < kPendingListMax; ++i) names.push_back(held_[i]);
    }
    Json body = {{"device_id", mac_},
                 {"status", "Alive"},
                 {"pendingImg", held},
                 {"pending_list", names},
                 {"firmware_version", opt_.firmware},
                 {"battery_voltage", 3.7 + 0.01 * (index_ % 50)},
                 {"wifi_rssi", -50 - (index_ % 40)}};
    Publish("status", body.dump());
    Out("HELLO " + mac_ + " pending " + std::to_string(held));
  }

  // Answers the server until the wake ends, then sleeps. Returns how the wake ended.
  WakeEnd Converse() {
    for (;;) {
      std::optional<Message> m = NextMessage(SilenceLimit());
      if (!m) return Sleep({WakeEnd::kTimeout, ""});
      if (std::optional<WakeEnd> end = Handle(*m)) return Sleep(*end);
    }
  }

  WakeEnd RunWake() {
    if (!Connect()) return {WakeEnd::kNoConnection, ""};
    Hello();
    return Converse();
  }

  // Script mode: RunWake on the camera's own agent thread. False if it is already awake.
  bool StartWake() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (in_wake_) return false;
      in_wake_ = true;  // at once, so that a wait-sleep right after does not see the last sleep
      taken_.clear();   // wait-cmd looks at this wake only
    }
    if (agent_.joinable()) agent_.join();
    agent_ = std::thread([this] { RunWake(); });
    return true;
  }

  // Ends the current wake (if any) at the next message, stopping a stream at the next chunk.
  void RequestSleep(const std::string& reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!in_wake_) return;
    Message m;
    m.kind = Message::kForceSleep, m.type = "sleep", m.name = reason;
    inbox_.push_back(m);
    interrupt_ = true;
    cv_.notify_all();
  }

  // ------------------------------------------------ observations (any thread)

  bool WaitAsleep(double seconds) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, Span(seconds), [&] { return !in_wake_; });
  }

  // Waits for a message of TYPE the camera has taken in its current (or last) wake and no earlier
  // wait consumed.
  bool WaitCommand(const std::string& type, double seconds) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, Span(seconds), [&] {
      auto it = std::find(taken_.begin(), taken_.end(), type);
      if (it == taken_.end()) return false;
      taken_.erase(it);
      return true;
    });
  }

  bool WaitDelivered(const std::string& name, double seconds) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, Span(seconds), [&] { return delivered_.count(name) > 0; });
  }

  // The bytes of an image the camera made (held or already delivered), "" if none.
  std::string MadeBytes(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = made_.find(name);
    return it == made_.end() ? std::string() : it->second->bytes;
  }

  // Delivered images with their end-to-end time (first METADATA -> ACK_OK), in seconds.
  std::map<std::string, double> Deliveries() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<std::string, double> out;
    for (auto& [name, at] : delivered_) {
      auto first = first_metadata_.find(name);
      out[name] = first == first_metadata_.end() ? 0 : Seconds(at - first->second);
    }
    return out;
  }
  std::optional<Clock::time_point> FirstMetadata() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::optional<Clock::time_point> first;
    for (auto& [name, at] : first_metadata_)
      if (!first || at < *first) first = at;
    return first;
  }
  std::optional<Clock::time_point> LastDelivery() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::optional<Clock::time_point> last;
    for (auto& [name, at] : delivered_)
      if (!last || at > *last) last = at;
    return last;
  }

  // The wake time it was told last (set_wake_schedule, sleep signal), if still ahead.
  std::optional<SysClock::time_point> NextWake() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (wake_at_ && *wake_at_ > SysClock::now()) return wake_at_;
    return std::nullopt;
  }
  long chunks_sent() const { return chunks_sent_; }

  // Publishes a body as given (script mode's send-raw): through the camera's session while it
  // is awake, else through a separate clean-session client so that the camera's session (and
  // the commands queued in it) is untouched.
  void PublishRaw(const std::string& sub, const std::string& body) {
    bool awake;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      awake = in_wake_;
    }
    if (awake) {
      Publish(sub, body);
    } else {
      PublishOnce("camsim-raw-" + mac_, Topic(sub), body);
    }
  }

 private:
  // ------------------------------------------------ the state machine (agent thread)

  // Acts on one message. Returns how the wake ends when this message ends it.
  std::optional<WakeEnd> Handle(const Message& m) {
    switch (m.kind) {
      case Message::kNotForUs:
        return std::nullopt;
      case Message::kWrongTopic:
        Out("IGNORED " + mac_ + " " + m.Describe() + " wrong-topic");
        return std::nullopt;
      case Message::kForceSleep:
        return WakeEnd{WakeEnd::kForced, m.name};
      default:
        break;
    }
    Take(m.type);
    Faults f = faults();
    if (f.mute) {
      Out("IGNORED " + mac_ + " " + m.Describe() + " mute");
      return std::nullopt;
    }
    if (f.delay > 0 && m.kind != Message::kSleepSignal) Dawdle(f.delay);
    switch (m.kind) {
      case Message::kCapture:
        return OnCapture();
      case Message::kSendImage:
        return OnSendImage(m.name);
      case Message::kSendAllPending:
        return OnSendAllPending();
      case Message::kSetWake:
        OnSetWake(m);
        return std::nullopt;
      case Message::kCommand:
        AcknowledgeCommand(m);  // before the line: the ack is on its way when a test sees it
        Out("CMD " + mac_ + " " + m.type);
        return std::nullopt;
      case Message::kMissing:
        OnMissing(m);
        return std::nullopt;
      case Message::kAckOk:
        return OnAckOk(m.name);
      case Message::kSleepSignal:
        return OnSleepSignal(m);
      default:
        return std::nullopt;
    }
  }

  // capture_image: a new picture, its METADATA, then wait for its send_image.
  std::optional<WakeEnd> OnCapture() {
    Out("CMD " + mac_ + " capture_image");
    std::shared_ptr<const Image> img;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::string name = next_capture_name_.empty()
                             ? "image_" + std::to_string(image_counter_ + 1) + ".jpg"
                             : next_capture_name_;
      img = AddImageLocked(name, next_capture_name_.empty() ? opt_.image_size : next_capture_size_);
      next_capture_name_.clear();
    }
    Out("CAPTURE " + mac_ + " " + img->name + " " + std::to_string(img->bytes.size()));
    PublishMetadata(*img);
    Out("METADATA " + mac_ + " " + img->name + " " + std::to_string(Chunks(*img)) + " chunks");
    return std::nullopt;
  }

  // send_image NAME: the whole image when held, then wait for its ACK_OK.
  std::optional<WakeEnd> OnSendImage(const std::string& name) {
    Out("CMD " + mac_ + " send_image " + name);
    std::shared_ptr<const Image> img = Held(name);
    if (!img) {
      Out("IGNORED " + mac_ + " send_image " + name + " not-held");
      return std::nullopt;
    }
    return Send(img);
  }

  // send_all_pending: every held image in turn; the next one starts at the previous ACK_OK.
  std::optional<WakeEnd> OnSendAllPending() {
    Out("CMD " + mac_ + " send_all_pending");
    {
      std::lock_guard<std::mutex> lock(mutex_);
      drain_.assign(held_.begin(), held_.end());
    }
    if (drain_.empty()) Out("IGNORED " + mac_ + " send_all_pending none-held");
    return SendNextPending();
  }

  std::optional<WakeEnd> SendNextPending() {
    draining_.clear();
    while (!drain_.empty()) {
      std::string name = drain_.front();
      drain_.pop_front();
      if (std::shared_ptr<const Image> img = Held(name)) {
        draining_ = name;
        return Send(img);
      }
    }
    return std::nullopt;
  }

  void OnSetWake(const Message& m) {
    RememberWake(m.wake);
    AcknowledgeCommand(m);
    Out("CMD " + mac_ + " set_wake_schedule " + m.wake);
  }

  // missing_chunks: exactly those chunks again (no METADATA), then wait for the ACK_OK.
  void OnMissing(const Message& m) {
    Out("MISSING " + mac_ + " " + m.name + " " + std::to_string(m.chunks.size()) + " chunks");
    std::shared_ptr<const Image> img = Held(m.name);
    if (!img) {
      Out("IGNORED " + mac_ + " " + m.Describe() + " not-held");
      return;
    }
    int total = Chunks(*img), sent = 0;
    for (int c : m.chunks)
      if (c >= 0 && c < total) SendChunk(*img, c), ++sent;
    awaiting_ack_.insert(m.name);
    Out("RESENT " + mac_ + " " + m.name + " " + std::to_string(sent) + " chunks");
  }

  // ACK_OK true: the image is delivered and deleted; a send_all_pending goes on with the next.
  std::optional<WakeEnd> OnAckOk(const std::string& name) {
    Deliver(name);
    if (!draining_.empty() && name == draining_) return SendNextPending();
    return std::nullopt;
  }

  // The sleep signal: delete the named image, remember the time, end the wake.
  std::optional<WakeEnd> OnSleepSignal(const Message& m) {
    if (!m.name.empty()) Deliver(m.name);
    RememberWake(m.wake);
    return WakeEnd{WakeEnd::kSignal, m.wake};
  }

  // Streams an image; the wake ends here if the camera falls asleep mid-upload.
  std::optional<WakeEnd> Send(const std::shared_ptr<const Image>& img) {
    int sent = 0;
    switch (Stream(*img, &sent)) {
      case kStreamed:
        awaiting_ack_.insert(img->name);
        return std::nullopt;
      case kFellAsleep:
        return WakeEnd{WakeEnd::kMidUpload,
                       img->name + " " + std::to_string(sent) + "/" + std::to_string(Chunks(*img))};
      case kStopped:
        break;
    }
    return std::nullopt;  // the sleep signal that stopped it is next in the inbox
  }

  enum StreamResult { kStreamed, kFellAsleep, kStopped };

  // METADATA, then the chunks (in the order the faults choose), METADATA again before every
  // kMetadataEvery-th chunk as the firmware does. The fault's dropped chunks are left out of the
  // first send only; the one-shot sleep-after fault fires (and is cleared) here.
  StreamResult Stream(const Image& img, int* sent) {
    Faults f = faults();
    bool first_send = streamed_.insert(img.name).second;
    int total = Chunks(img);
    int limit = f.sleep_after == kSleepHalfway ? total / 2 : f.sleep_after;
    std::vector<int> order(total);
    for (int i = 0; i < total; ++i) order[i] = i;
    if (f.shuffle) std::shuffle(order.begin(), order.end(), rng_);
    std::uniform_real_distribution<double> coin(0, 1);
    int dropped = 0;
    Out("METADATA " + mac_ + " " + img.name + " " + std::to_string(total) + " chunks");
    for (int pos = 0; pos < total; ++pos) {
      if (f.sleep_after != -1 && *sent >= limit) {
        ClearSleepAfter();
        return kFellAsleep;
      }
      if (interrupt_) {
        Out("STOPPED " + mac_ + " " + img.name + " " + std::to_string(*sent) + "/" +
            std::to_string(total));
        return kStopped;
      }
      if (pos % kMetadataEvery == 0) PublishMetadata(img);
      int id = order[pos];
      if (first_send && f.drop.count(id)) {
        ++dropped;
        continue;
      }
      SendChunk(img, id);
      ++*sent;
      if (f.duplicate > 0 && coin(rng_) < f.duplicate) SendChunk(img, id);
    }
    Out("UPLOADED " + mac_ + " " + img.name + " " + std::to_string(total) + " chunks" +
        (dropped ? " dropped " + std::to_string(dropped) : ""));
    return kStreamed;
  }

  // Disconnects once every publish is PUBACKed (at most 10 s), as firmware that finished its radio
  // work before deep sleep; what arrived after the end of the wake is not acted on.
  WakeEnd Sleep(const WakeEnd& end) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait_for(lock, std::chrono::seconds(10), [&] { return unacked_ == 0; });
    }
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    std::deque<Message> left;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      left.swap(inbox_);
    }
    for (const Message& m : left)
      if (m.kind != Message::kNotForUs && m.kind != Message::kForceSleep)
        Out("IGNORED " + mac_ + " " + m.Describe() + " after-sleep");
    drain_.clear();
    draining_.clear();
    awaiting_ack_.clear();
    Out("SLEEP " + mac_ + " " + end.Text());
    EndWake();
    return end;
  }

  // Waits, as a slow camera does before it acts; a sleep signal arriving meanwhile cuts it short.
  void Dawdle(double seconds) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, Span(seconds), [&] { return interrupt_.load(); });
  }

  void EndWake() {
    std::lock_guard<std::mutex> lock(mutex_);
    in_wake_ = false;
    cv_.notify_all();
  }

  // Silence allowed before sleeping: longer while an image it sent awaits its ACK_OK.
  double SilenceLimit() const {
    double ack = opt_.ack_timeout >= 0 ? opt_.ack_timeout : opt_.listen_timeout;
    return awaiting_ack_.empty() && draining_.empty() ? opt_.listen_timeout : ack;
  }

  std::optional<Message> NextMessage(double seconds) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, Span(seconds), [&] { return !inbox_.empty(); })) return std::nullopt;
    Message m = inbox_.front();
    inbox_.pop_front();
    return m;
  }

  // ------------------------------------------------ images held and delivered

  std::shared_ptr<const Image> AddImageLocked(const std::string& name, int size) {
    auto img = std::make_shared<Image>();
    img->name = name;
    img->id = ImageNumber(name) > 0 ? ImageNumber(name) : image_counter_ + 1;
    image_counter_ = std::max(image_counter_, img->id);  // the next image_N.jpg is a new name
    img->captured = IsoNow();
    img->bytes = MakeJpeg(mac_, name, size);
    made_[name] = img;
    if (std::find(held_.begin(), held_.end(), name) == held_.end()) held_.push_back(name);
    return img;
  }

  std::shared_ptr<const Image> Held(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (std::find(held_.begin(), held_.end(), name) == held_.end()) return nullptr;
    return made_[name];
  }

  void Deliver(const std::string& name) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      held_.erase(std::remove(held_.begin(), held_.end(), name), held_.end());
      delivered_.emplace(name, Clock::now());
      cv_.notify_all();
    }
    awaiting_ack_.erase(name);
    Out("ACK_OK " + mac_ + " " + name);
  }

  void RememberWake(const std::string& text) {
    std::optional<SysClock::time_point> t = NextWallTime(text);
    if (!t) return;
    std::lock_guard<std::mutex> lock(mutex_);
    wake_at_ = t;
  }

  void Take(const std::string& type) {
    std::lock_guard<std::mutex> lock(mutex_);
    taken_.push_back(type);
    cv_.notify_all();
  }

  void ClearSleepAfter() {
    std::lock_guard<std::mutex> lock(mutex_);
    faults_.sleep_after = -1;
  }

  int Chunks(const Image& img) const { return ChunkCount(img.bytes.size(), opt_.chunk_size); }

  // ------------------------------------------------ publishing

  void PublishMetadata(const Image& img) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      first_metadata_.emplace(img.name, Clock::now());
    }
    Json meta = {{"device_id", mac_},
                 {"timestamp", img.captured},
                 {"image_name", img.name},
                 {"image_id", img.id},
                 {"image_size", img.bytes.size()},
                 {"max_chunks_size", opt_.chunk_size},
                 {"total_chunk_count", Chunks(img)},
                 {"location", "camsim"},
                 {"error", 0},
                 {"sensor_data",
                  {{"temperature", 20.5 + index_ % 10},
                   {"humidity", 40 + index_ % 30},
                   {"pressure", 1013.2},
                   {"gas_resistance", 15000 + index_}}}};
    Publish("data", meta.dump());
  }

  void SendChunk(const Image& img, int i) {
    std::string_view part(img.bytes);
    part = part.substr(static_cast<size_t>(i) * opt_.chunk_size, opt_.chunk_size);
    Json chunk = {{"device_id", mac_},
                  {"image_name", img.name},
                  {"chunk_id", i},
                  {"max_chunk_size", opt_.chunk_size},
                  {"payload", devicewake::core::EncodeBase64(part)}};
    Publish("data", chunk.dump());
    ++chunks_sent_;
  }

  void AcknowledgeCommand(const Message& m) {
    Json ack = {{"device_id", mac_}, {"command_ack", "acknowledged"}};
    if (!m.command_id.is_null()) ack["command_id"] = m.command_id;
    Publish("ack", ack.dump());
  }

  // QoS 1, not retained; counted until its PUBACK so that Sleep can wait for it.
  void Publish(const std::string& sub, const std::string& body) {
    std::string topic = Topic(sub);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++unacked_;
    }
    int rc;
    while ((rc = mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(body.size()),
                                   body.data(), 1, false)) == MOSQ_ERR_NOMEM) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (rc != MOSQ_ERR_SUCCESS) {
      Out("ERROR " + mac_ + " publish " + mosquitto_strerror(rc));
      std::lock_guard<std::mutex> lock(mutex_);
      --unacked_;
    }
  }

  // One QoS 1 publish through a throwaway clean-session client, waiting up to 10 s for its PUBACK.
  void PublishOnce(const std::string& client_id, const std::string& topic,
                   const std::string& body) {
    struct Done {
      std::mutex mutex;
      std::condition_variable cv;
      bool acked = false;
    } done;
    struct mosquitto* m = mosquitto_new(client_id.c_str(), true, &done);
    mosquitto_publish_callback_set(m, [](struct mosquitto*, void* u, int) {
      auto* d = static_cast<Done*>(u);
      std::lock_guard<std::mutex> lock(d->mutex);
      d->acked = true;
      d->cv.notify_all();
    });
    if (mosquitto_connect(m, opt_.host.c_str(), opt_.port, 30) != MOSQ_ERR_SUCCESS) {
      Out("ERROR " + mac_ + " connect failed (send-raw)");
    } else {
      mosquitto_loop_start(m);
      mosquitto_publish(m, nullptr, topic.c_str(), static_cast<int>(body.size()), body.data(), 1,
                        false);
      std::unique_lock<std::mutex> lock(done.mutex);
      done.cv.wait_for(lock, std::chrono::seconds(10), [&] { return done.acked; });
      lock.unlock();
      mosquitto_disconnect(m);
      mosquitto_loop_stop(m, false);
    }
    mosquitto_destroy(m);
  }

  // ------------------------------------------------ libmosquitto callbacks (its thread)

  static void OnConnect(struct mosquitto* m, void* user, int rc) {
    if (rc != 0) return;
    auto* self = static_cast<Camera*>(user);
    std::string cmd = self->Topic("cmd"), ack = self->Topic("ack");
    char* topics[] = {cmd.data(), ack.data()};
    mosquitto_subscribe_multiple(m, nullptr, 2, topics, 1, 0, nullptr);
  }

  static void OnSubscribe(struct mosquitto*, void* user, int, int, const int*) {
    auto* self = static_cast<Camera*>(user);
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->subscribed_ = true;
    self->cv_.notify_all();
  }

  static void OnPublish(struct mosquitto*, void* user, int) {
    auto* self = static_cast<Camera*>(user);
    std::lock_guard<std::mutex> lock(self->mutex_);
    if (self->unacked_ > 0) --self->unacked_;
    self->cv_.notify_all();
  }

  // Classifies the message into the inbox; a sleep signal also stops a stream in progress.
  static void OnMessage(struct mosquitto*, void* user, const struct mosquitto_message* msg) {
    auto* self = static_cast<Camera*>(user);
    std::string topic = msg->topic;
    Json body =
        Json::parse(static_cast<const char*>(msg->payload),
                    static_cast<const char*>(msg->payload) + msg->payloadlen, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      Out("IGNORED " + self->mac_ + " unparsable " + topic);
      return;
    }
    bool on_ack = topic.size() >= 4 && topic.compare(topic.size() - 4, 4, "/ack") == 0;
    Message m = Classify(on_ack, body);
    std::lock_guard<std::mutex> lock(self->mutex_);
    if (m.kind == Message::kSleepSignal) self->interrupt_ = true;
    self->inbox_.push_back(std::move(m));
    self->cv_.notify_all();
  }

  const Options& opt_;
  const std::string mac_;
  const int index_;
  struct mosquitto* mosq_ = nullptr;
  std::thread agent_;  // script mode's wake
  std::atomic<bool> interrupt_{false};
  std::atomic<long> chunks_sent_{0};

  // the agent thread's own state (one wake at a time)
  std::mt19937 rng_;
  std::deque<std::string> drain_;       // send_all_pending: names still to stream
  std::string draining_;                // send_all_pending: the image awaiting its ACK_OK
  std::set<std::string> awaiting_ack_;  // images sent, not yet ACKed
  std::set<std::string> streamed_;      // images sent at least once (drop faults: first send)

  std::mutex mutex_;  // guards everything below
  std::condition_variable cv_;
  Faults faults_;
  bool in_wake_ = false;
  bool subscribed_ = false;
  long unacked_ = 0;  // publishes not yet PUBACKed
  std::deque<Message> inbox_;
  long image_counter_ = 0;
  std::string next_capture_name_;
  int next_capture_size_ = 0;
  std::map<std::string, std::shared_ptr<const Image>> made_;  // every image it made, by name
  std::vector<std::string> held_;                             // not yet delivered, oldest first
  std::map<std::string, Clock::time_point> first_metadata_;
  std::map<std::string, Clock::time_point> delivered_;
  std::deque<std::string> taken_;  // types of messages taken, for wait-cmd
  std::optional<SysClock::time_point> wake_at_;
};

std::string MacFor(const Options& opt, int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*X", static_cast<int>(12 - opt.mac_prefix.size()), i + 1);
  return opt.mac_prefix + buf;
}

// Camera i is picked by a list of MACs/indexes or, spread evenly, by a share of the fleet.
bool Picked(const std::set<std::string>& list, double fraction, const std::string& mac, int i) {
  if (list.count(mac) || list.count(std::to_string(i))) return true;
  return fraction > 0 && (i * 0.6180339887 - static_cast<int>(i * 0.6180339887)) < fraction;
}

Faults FaultsFor(const Options& opt, const std::string& mac, int i) {
  Faults f;
  if (Picked(opt.sleep_cameras, opt.sleep_fraction, mac, i)) f.sleep_after = opt.sleep_after;
  f.drop = opt.drop_chunks;
  f.mute = Picked(opt.mute_cameras, 0, mac, i);
  f.duplicate = opt.duplicate_fraction;
  f.shuffle = opt.shuffle;
  return f;
}

// The cameras of fleet and bench modes, each holding --pending images.
std::vector<std::unique_ptr<Camera>> MakeFleet(const Options& opt) {
  std::vector<std::unique_ptr<Camera>> cams;
  for (int i = 0; i < opt.cameras; ++i) {
    std::string mac = MacFor(opt, i);
    cams.push_back(std::make_unique<Camera>(opt, mac, i, FaultsFor(opt, mac, i)));
    for (int p = 0; p < opt.pending; ++p)
      cams.back()->Hold(cams.back()->NewImageName(), opt.image_size);
  }
  return cams;
}

// ---------------------------------------------------------------- libpq

PGconn* Connect() {
  PGconn* conn = PQconnectdb("");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::fprintf(stderr, "camera_sim: %s", PQerrorMessage(conn));
    PQfinish(conn);
    return nullptr;
  }
  return conn;
}

// "ok", "mismatch", "missing" (no complete image) for the stored image of (mac, name).
std::string VerifyImage(PGconn* conn, const std::string& mac, const std::string& name,
                        const std::string& bytes) {
  const char* values[3] = {mac.c_str(), name.c_str(), bytes.data()};
  int lengths[3] = {0, 0, static_cast<int>(bytes.size())};
  int formats[3] = {0, 0, 1};
  PGresult* r =
      PQexecParams(conn,
                   "SELECT i.image_data = $3::bytea FROM devicewake.device_images i "
                   "JOIN devicewake.devices d USING (device_id) "
                   "WHERE d.device_mac = $1 AND i.image_name = $2 AND i.status = 'complete'",
                   3, nullptr, values, lengths, formats, 0);
  std::string verdict = "missing";
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    verdict = std::string("error ") + PQerrorMessage(conn);
  } else if (PQntuples(r) == 1) {
    verdict = std::strcmp(PQgetvalue(r, 0, 0), "t") == 0 ? "ok" : "mismatch";
  }
  PQclear(r);
  return verdict;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// ---------------------------------------------------------------- modes

// A camera told no wake time still ahead wakes at the next multiple of --fallback-wake seconds
// (UTC), as firmware falls back to its last schedule.
SysClock::time_point FallbackWake(const Options& opt) {
  long step = std::max(1L, static_cast<long>(opt.fallback_wake));
  long now = static_cast<long>(std::time(nullptr));
  return SysClock::from_time_t((now / step + 1) * step);
}

// Each camera: wake, do what it is told until it sleeps, sleep until the time it was told.
int RunFleet(const Options& opt) {
  std::vector<std::unique_ptr<Camera>> cams = MakeFleet(opt);
  auto end = Clock::now() + Span(opt.duration);
  std::vector<std::thread> threads;
  for (auto& c : cams) {
    threads.emplace_back([&opt, &end, &cam = *c] {
      while (Clock::now() < end) {
        if (cam.RunWake().why == WakeEnd::kNoConnection) return;
        auto now = SysClock::now();
        auto wake_at = cam.NextWake().value_or(FallbackWake(opt)) + SysSpan(opt.wake_delay);
        Out("NEXT_WAKE " + cam.mac() + " " + ClockText(wake_at) + "Z in " +
            std::to_string(static_cast<int>(std::chrono::duration<double>(wake_at - now).count())) +
            "s");
        while (SysClock::now() < wake_at && Clock::now() < end)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  for (auto& t : threads) t.join();
  Out("DONE fleet");
  return 0;
}

// Script mode: one directive per line (kUsage); waits and checks that fail are counted.
class Script {
 public:
  explicit Script(const Options& opt) : opt_(opt) {}
  ~Script() {
    cams_.clear();  // ends every wake ("SLEEP CAM quit") before the output closes
    if (conn_) PQfinish(conn_);
  }

  // Runs one line; false on quit or a directive it does not know (exit status 2).
  bool Run(const std::string& line) {
    std::istringstream in(line);
    std::string verb, mac;
    in >> verb;
    if (verb.empty() || verb[0] == '#') return true;
    if (verb == "quit") return false;
    in >> mac;
    if (mac.empty()) return Unknown(line);
    Camera& c = Cam(mac);
    if (verb == "hold") {
      std::string name;
      int size = opt_.image_size;
      in >> name >> size;
      if (name.empty()) return Unknown(line);
      c.Hold(name, size);
      Out("HOLD " + mac + " " + name + " " + std::to_string(size));
    } else if (verb == "next-capture") {
      std::string name;
      int size = opt_.image_size;
      in >> name >> size;
      if (name.empty()) return Unknown(line);
      c.SetNextCapture(name, size);
      Out("NEXT_CAPTURE " + mac + " " + name + " " + std::to_string(size));
    } else if (verb == "fault") {
      if (!Fault(c, in)) return Unknown(line);
    } else if (verb == "wake") {
      if (!c.StartWake()) Fail("ERROR " + mac + " wake: already awake");
    } else if (verb == "wait-sleep") {
      double seconds = 10;
      in >> seconds;
      if (!c.WaitAsleep(seconds)) Fail("TIMEOUT " + mac + " wait-sleep");
    } else if (verb == "wait-cmd") {
      std::string type;
      double seconds = 10;
      in >> type >> seconds;
      if (!c.WaitCommand(type, seconds)) Fail("TIMEOUT " + mac + " wait-cmd " + type);
    } else if (verb == "wait-ack") {
      std::string name;
      double seconds = 10;
      in >> name >> seconds;
      if (!c.WaitDelivered(name, seconds)) Fail("TIMEOUT " + mac + " wait-ack " + name);
    } else if (verb == "sleep") {
      c.RequestSleep("forced");
    } else if (verb == "send-raw") {
      std::string sub, rest;
      in >> sub;
      std::getline(in, rest);
      rest.erase(0, rest.find_first_not_of(' '));
      Out("RAW " + mac + " " + sub);
      c.PublishRaw(sub, rest);
    } else if (verb == "verify") {
      std::string name;
      in >> name;
      Verify(c, name);
    } else {
      return Unknown(line);
    }
    return true;
  }

  int failures() const { return failures_; }
  bool unknown() const { return unknown_; }

 private:
  Camera& Cam(const std::string& mac) {
    auto& slot = cams_[mac];
    if (!slot) {
      int index = static_cast<int>(cams_.size()) - 1;
      slot = std::make_unique<Camera>(opt_, mac, index, FaultsFor(opt_, mac, index));
    }
    return *slot;
  }

  // fault CAM sleep-after K | drop I,J | mute | duplicate F | shuffle | delay S | none
  bool Fault(Camera& c, std::istringstream& in) {
    std::string what, arg;
    in >> what >> arg;
    Faults f = c.faults();
    if (what == "sleep-after" && !arg.empty()) {
      f.sleep_after = std::stoi(arg);
    } else if (what == "drop" && !arg.empty()) {
      std::stringstream list(arg);
      std::string item;
      while (std::getline(list, item, ',')) f.drop.insert(std::stoi(item));
    } else if (what == "mute") {
      f.mute = true;
    } else if (what == "duplicate" && !arg.empty()) {
      f.duplicate = std::stod(arg);
    } else if (what == "shuffle") {
      f.shuffle = true;
    } else if (what == "delay" && !arg.empty()) {
      f.delay = std::stod(arg);
    } else if (what == "none") {
      f = Faults{};
    } else {
      return false;
    }
    c.SetFaults(f);
    Out("FAULT " + c.mac() + " " + what + (arg.empty() ? "" : " " + arg));
    return true;
  }

  void Verify(Camera& c, const std::string& name) {
    std::string bytes = c.MadeBytes(name), verdict = "unknown";
    if (!bytes.empty()) {
      if (!conn_ && !(conn_ = Connect())) {
        verdict = "error no connection";
      } else {
        verdict = VerifyImage(conn_, c.mac(), name, bytes);
      }
    }
    Out("VERIFY " + c.mac() + " " + name + " " + verdict);
    if (verdict != "ok") ++failures_;
  }

  void Fail(const std::string& line) {
    Out(line);
    ++failures_;
  }

  bool Unknown(const std::string& line) {
    std::fprintf(stderr, "camera_sim: bad directive '%s' (see camera_sim --help)\n", line.c_str());
    unknown_ = true;
    return false;
  }

  const Options& opt_;
  std::map<std::string, std::unique_ptr<Camera>> cams_;
  PGconn* conn_ = nullptr;
  int failures_ = 0;
  bool unknown_ = false;
};

int RunScript(const Options& opt) {
  int failures = 0;
  bool unknown = false;
  {
    Script script(opt);
    std::string line;
    while (std::getline(std::cin, line))
      if (!script.Run(line)) break;
    failures = script.failures();
    unknown = script.unknown();
  }
  if (unknown) return 2;
  Out("DONE script failures=" + std::to_string(failures));
  return failures == 0 ? 0 : 1;
}

// Every camera wakes at once and is driven by the server; figures over every delivered image.
int RunBench(Options opt) {
  if (opt.image_base < 1) opt.image_base = static_cast<long>(std::time(nullptr));
  std::vector<std::unique_ptr<Camera>> cams = MakeFleet(opt);
  for (auto& c : cams)
    if (!c->Connect()) return 2;
  std::vector<WakeEnd> ends(cams.size());
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (size_t i = 0; i < cams.size(); ++i) {
    threads.emplace_back([&, i] {
      cams[i]->Hello();
      ends[i] = cams[i]->Converse();
    });
  }
  for (auto& t : threads) t.join();

  std::vector<double> e2e;
  int told_to_sleep = 0, with_image = 0;
  long chunks = 0;
  // the figures end at the last ACK_OK, not at a straggler's listen timeout
  std::optional<Clock::time_point> last, first_metadata;
  for (size_t i = 0; i < cams.size(); ++i) {
    if (auto at = cams[i]->FirstMetadata())
      first_metadata = first_metadata ? std::min(*first_metadata, *at) : *at;
    std::map<std::string, double> got = cams[i]->Deliveries();
    for (auto& [name, seconds] : got) e2e.push_back(seconds);
    with_image += !got.empty();
    told_to_sleep += ends[i].why == WakeEnd::kSignal;
    chunks += cams[i]->chunks_sent();
    if (auto at = cams[i]->LastDelivery()) last = last ? std::max(*last, *at) : *at;
  }
  double wall = Seconds(last.value_or(Clock::now()) - t0);
  // the uploads alone: from the first METADATA (after the HELLO and the capture request) to the
  // last ACK_OK, the span the pre-conversation bench measured
  double upload = Seconds(last.value_or(Clock::now()) - first_metadata.value_or(t0));
  std::printf("bench cameras=%d image_bytes=%d chunk_bytes=%d chunks=%ld acked=%zu wall_s=%.2f\n",
              opt.cameras, opt.image_size, opt.chunk_size, chunks, e2e.size(), wall);
  std::printf("bench upload_s=%.2f upload_chunks_per_s=%.0f\n", upload,
              upload > 0 ? chunks / upload : 0);
  std::printf("bench chunks_per_s=%.0f e2e_p50_ms=%.0f e2e_p99_ms=%.0f e2e_max_ms=%.0f\n",
              wall > 0 ? chunks / wall : 0, 1000 * Percentile(e2e, 0.5),
              1000 * Percentile(e2e, 0.99), 1000 * Percentile(e2e, 1.0));
  std::printf("bench cameras_with_image=%d told_to_sleep=%d\n", with_image, told_to_sleep);
  int ok = 0;
  if (opt.verify) {
    PGconn* conn = Connect();
    if (!conn) return 2;
    for (auto& c : cams)
      for (auto& [name, seconds] : c->Deliveries())
        ok += VerifyImage(conn, c->mac(), name, c->MadeBytes(name)) == "ok";
    PQfinish(conn);
    std::printf("bench byte_exact=%d/%zu\n", ok, e2e.size());
  }
  std::fflush(stdout);
  bool all = with_image == opt.cameras && told_to_sleep == opt.cameras;
  return all && (!opt.verify || ok == static_cast<int>(e2e.size())) ? 0 : 1;
}

// Raw broker floor: N publishers send the same chunk messages to BENCHRAW/{MAC}/data; one plain
// subscriber counts them.
int RunBaselineBroker(const Options& opt) {
  struct Counter {
    std::atomic<long> n{0};
  } counter;
  struct mosquitto* sub = mosquitto_new(nullptr, true, &counter);
  mosquitto_message_callback_set(sub,
                                 [](struct mosquitto*, void* u, const struct mosquitto_message*) {
                                   static_cast<Counter*>(u)->n++;
                                 });
  if (mosquitto_connect(sub, opt.host.c_str(), opt.port, 30) != MOSQ_ERR_SUCCESS) return 2;
  mosquitto_subscribe(sub, nullptr, "BENCHRAW/+/data", 1);
  mosquitto_loop_start(sub);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // tool, not a test: SUBACK settles
  int total = ChunkCount(opt.image_size, opt.chunk_size);
  long expected = static_cast<long>(total) * opt.cameras;
  std::vector<struct mosquitto*> pubs;
  for (int i = 0; i < opt.cameras; ++i) {
    struct mosquitto* p = mosquitto_new(nullptr, true, nullptr);
    mosquitto_max_inflight_messages_set(p, 0);
    if (mosquitto_connect(p, opt.host.c_str(), opt.port, 30) != MOSQ_ERR_SUCCESS) return 2;
    mosquitto_loop_start(p);
    pubs.push_back(p);
  }
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < opt.cameras; ++i) {
    threads.emplace_back([&, i] {
      std::string mac = MacFor(opt, i), bytes = MakeJpeg(mac, "raw.jpg", opt.image_size);
      std::string topic = "BENCHRAW/" + mac + "/data";
      for (int c = 0; c < total; ++c) {
        Json chunk = {{"device_id", mac},
                      {"image_name", "raw.jpg"},
                      {"chunk_id", c},
                      {"max_chunk_size", opt.chunk_size},
                      {"payload", devicewake::core::EncodeBase64(std::string_view(bytes).substr(
                                      static_cast<size_t>(c) * opt.chunk_size, opt.chunk_size))}};
        std::string body = chunk.dump();
        mosquitto_publish(pubs[i], nullptr, topic.c_str(), static_cast<int>(body.size()),
                          body.data(), 1, false);
      }
    });
  }
  for (auto& t : threads) t.join();
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (counter.n < expected && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  double wall = Seconds(Clock::now() - t0);
  std::printf("baseline-broker messages=%ld received=%ld wall_s=%.2f chunks_per_s=%.0f\n", expected,
              counter.n.load(), wall, counter.n / wall);
  for (auto* p : pubs) {
    mosquitto_disconnect(p);
    mosquitto_loop_stop(p, false);
    mosquitto_destroy(p);
  }
  mosquitto_disconnect(sub);
  mosquitto_loop_stop(sub, false);
  mosquitto_destroy(sub);
  return 0;
}

// libpq floor: the same chunk rows INSERTed one row per statement (autocommit) by one client,
// into an ordinary table (WAL-logged, like the worker's: a temporary table writes no WAL, so its
// commits never wait for a flush), dropped at the end.
int RunBaselineInsert(const Options& opt) {
  PGconn* conn = Connect();
  if (!conn) return 2;
  const std::string table = "bench_chunks_" + opt.mac_prefix;
  PQclear(PQexec(conn, "SET client_min_messages = warning"));
  PQclear(PQexec(conn, ("DROP TABLE IF EXISTS " + table).c_str()));
  PQclear(PQexec(conn, ("CREATE TABLE " + table +
                        " (mac text, image_name text, chunk_index integer, "
                        "data bytea, PRIMARY KEY (mac, image_name, chunk_index))")
                           .c_str()));
  const std::string insert = "INSERT INTO " + table + " VALUES ($1, $2, $3, $4)";
  int total = ChunkCount(opt.image_size, opt.chunk_size);
  auto t0 = Clock::now();
  long rows = 0;
  for (int i = 0; i < opt.cameras; ++i) {
    std::string mac = MacFor(opt, i), bytes = MakeJpeg(mac, "raw.jpg", opt.image_size);
    for (int c = 0; c < total; ++c) {
      std::string idx = std::to_string(c);
      std::string part = bytes.substr(static_cast<size_t>(c) * opt.chunk_size, opt.chunk_size);
      const char* values[4] = {mac.c_str(), "raw.jpg", idx.c_str(), part.data()};
      int lengths[4] = {0, 0, 0, static_cast<int>(part.size())};
      int formats[4] = {0, 0, 0, 1};
      PGresult* r = PQexecParams(conn, insert.c_str(), 4, nullptr, values, lengths, formats, 0);
      rows += PQresultStatus(r) == PGRES_COMMAND_OK;
      PQclear(r);
    }
  }
  double wall = Seconds(Clock::now() - t0);
  std::printf("baseline-insert rows=%ld wall_s=%.2f chunks_per_s=%.0f\n", rows, wall, rows / wall);
  PQclear(PQexec(conn, ("DROP TABLE " + table).c_str()));
  PQfinish(conn);
  return 0;
}

// ---------------------------------------------------------------- command line

std::set<std::string> SplitList(const std::string& text) {
  std::set<std::string> out;
  std::stringstream list(text);
  std::string item;
  while (std::getline(list, item, ','))
    if (!item.empty()) out.insert(item);
  return out;
}

// Parses the options into opt and the mode; false on a bad command line.
bool ParseArgs(int argc, char** argv, Options& opt, std::string& mode) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a[0] != '-') {
      if (!mode.empty()) return false;
      mode = a;
      continue;
    }
    if (a == "--shuffle") {
      opt.shuffle = true;
      continue;
    }
    if (a == "--no-verify") {
      opt.verify = false;
      continue;
    }
    if (i + 1 >= argc) return false;
    std::string v = argv[++i];
    if (a == "--host")
      opt.host = v;
    else if (a == "--port")
      opt.port = std::stoi(v);
    else if (a == "--prefix")
      opt.prefix = v;
    else if (a == "--cameras")
      opt.cameras = std::stoi(v);
    else if (a == "--mac-prefix")
      opt.mac_prefix = v;
    else if (a == "--image-size")
      opt.image_size = std::stoi(v);
    else if (a == "--chunk-size")
      opt.chunk_size = std::stoi(v);
    else if (a == "--listen-timeout")
      opt.listen_timeout = std::stod(v);
    else if (a == "--ack-timeout")
      opt.ack_timeout = std::stod(v);
    else if (a == "--pending")
      opt.pending = std::stoi(v);
    else if (a == "--image-base")
      opt.image_base = std::stol(v);
    else if (a == "--sleep-fraction")
      opt.sleep_fraction = std::stod(v);
    else if (a == "--sleep-cameras")
      opt.sleep_cameras = SplitList(v);
    else if (a == "--sleep-after")
      opt.sleep_after = std::stoi(v);
    else if (a == "--drop-chunks")
      for (const std::string& s : SplitList(v)) opt.drop_chunks.insert(std::stoi(s));
    else if (a == "--mute-cameras")
      opt.mute_cameras = SplitList(v);
    else if (a == "--duplicate")
      opt.duplicate_fraction = std::stod(v);
    else if (a == "--duration")
      opt.duration = std::stod(v);
    else if (a == "--wake-delay")
      opt.wake_delay = std::stod(v);
    else if (a == "--fallback-wake")
      opt.fallback_wake = std::stod(v);
    else if (a == "--seed")
      opt.seed = static_cast<unsigned>(std::stoul(v));
    else
      return false;
  }
  return opt.chunk_size >= 1 && opt.image_size >= 6 && opt.cameras >= 1 &&
         opt.mac_prefix.size() <= 11 && opt.listen_timeout >= 0 && opt.pending >= 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (const char* p = std::getenv("DW_MQTT_PORT")) opt.port = std::atoi(p);
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  std::string mode;
  bool parsed = false;
  try {
    parsed = ParseArgs(argc, argv, opt, mode);
  } catch (const std::exception&) {  // std::stoi and friends on a bad number
  }
  if (!parsed) {
    std::fputs("camera_sim: bad command line (camera_sim --help lists modes and options)\n",
               stderr);
    return 2;
  }
  mosquitto_lib_init();
  int rc = 2;
  if (mode == "fleet")
    rc = RunFleet(opt);
  else if (mode == "script")
    rc = RunScript(opt);
  else if (mode == "bench")
    rc = RunBench(opt);
  else if (mode == "baseline-broker")
    rc = RunBaselineBroker(opt);
  else if (mode == "baseline-insert")
    rc = RunBaselineInsert(opt);
  else
    std::fprintf(stderr, "camera_sim: unknown mode '%s' (camera_sim --help)\n", mode.c_str());
  mosquitto_lib_cleanup();
  return rc;
}

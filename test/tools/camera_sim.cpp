// camera_sim: a fleet of simulated ESP32-CAM cameras speaking the firmware protocol of DESIGN §8
// over a real broker, for integration tests, the benchmark and `make demo`. One MQTT connection
// per camera (persistent session, client id "camsim-{MAC}", disconnected while asleep).
//
// Usage: camera_sim [options] MODE
//   fleet            every camera wakes, says HELLO, captures and uploads an image, waits for
//                    ACK_OK, answers commands while awake, sleeps until the next wake it was told
//                    (ACK_OK next_wake_time or set_wake_schedule); runs --duration seconds
//   script           one directive per stdin line (see kScriptHelp); for tests
//   bench            --cameras cameras upload one image each at once; chunks/s, end-to-end
//                    p50/p99, byte-exact check of every image over libpq (PG* environment)
//   baseline-broker  the same chunk messages through the broker to one plain subscriber
//   baseline-insert  the same chunks INSERTed over libpq, one row per statement
// Progress lines on stdout, one event a line, "EVENT CAM field…" (e.g. "ACK_OK CAM image 5:30PM").
// Threads: libmosquitto's threaded loop per camera plus one agent thread per camera (a test tool;
// the extension never does this).
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
using Json = nlohmann::json;

const char* kScriptHelp =
    "script directives (one a line; CAM is a normalised MAC, created on first use):\n"
    "  hello CAM                         wake (connect) and publish HELLO\n"
    "  capture CAM NAME SIZE             take a picture (kept on the camera, not sent)\n"
    "  upload CAM NAME SIZE              METADATA, wait for send_image, all chunks\n"
    "  upload-partial CAM NAME SIZE K    METADATA, wait for send_image, K chunks, then sleep\n"
    "  send-raw CAM SUBTOPIC JSON...     publish a raw body on {prefix}/CAM/SUBTOPIC\n"
    "  wait-ack CAM NAME SECONDS         wait for ACK_OK of NAME (prints ACK_OK or TIMEOUT)\n"
    "  wait-cmd CAM TYPE SECONDS         wait for a command of TYPE (prints CMD or TIMEOUT)\n"
    "  sleep CAM                         disconnect (the broker keeps the session)\n"
    "  verify CAM NAME                   compare the stored image byte for byte (VERIFY ok|…)\n"
    "  quit\n";

// ---------------------------------------------------------------- options and output

struct Options {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string prefix = "ESP32CAM";
  int cameras = 1;
  std::string mac_prefix = "CA";
  int image_size = 70 * 1024;
  int chunk_size = 1024;
  double sleep_fraction = 0;            // share of cameras that fall asleep mid-upload
  std::set<std::string> sleep_cameras;  // MACs or 0-based indexes that do
  int sleep_after = -1;                 // chunks sent before falling asleep (-1: half)
  double duplicate_fraction = 0;        // share of chunks sent twice
  bool shuffle = false;                 // chunks out of order
  double go_timeout = 10;               // seconds to wait for the server's send_image
  double ack_timeout = 60;              // seconds to wait for ACK_OK
  double awake = 1.0;                   // seconds awake after the last activity
  double duration = 60;                 // fleet mode: seconds to run
  double wake_delay = 0;                // fleet mode: seconds late after each wake time
  double fallback_wake = 60;            // fleet mode: wake on multiples of this when told none
  std::string firmware = "camsim-1.0";
  unsigned seed = 1;
  bool verify = true;
};

std::mutex g_out_mutex;

void Out(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_out_mutex);
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Deterministic synthetic JPEG: FF D8 FF E0, pseudo-random content seeded by name, FF D9.
std::string MakeJpeg(const std::string& mac, const std::string& name, int size) {
  size = std::max(size, 6);
  std::string bytes(size, '\0');
  std::uint32_t seed = 2166136261u;  // FNV-1a of "MAC/name": the same bytes on every platform
  for (char c : mac + "/" + name) seed = (seed ^ static_cast<unsigned char>(c)) * 16777619u;
  std::mt19937 rng(seed);
  for (int i = 0; i < size; ++i) bytes[i] = static_cast<char>(rng() & 0xFF);
  const unsigned char head[] = {0xFF, 0xD8, 0xFF, 0xE0};
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>(head[i]);
  bytes[size - 2] = static_cast<char>(0xFF);
  bytes[size - 1] = static_cast<char>(0xD9);
  return bytes;
}

// Parses "5:30PM" (UTC) into the next such instant from now (system clock).
std::optional<std::chrono::system_clock::time_point> NextWallTime(const std::string& text) {
  int h = 0, m = 0;
  char ampm[3] = {0};
  if (std::sscanf(text.c_str(), "%d:%d%2s", &h, &m, ampm) != 3) return std::nullopt;
  if (h < 1 || h > 12 || m < 0 || m > 59) return std::nullopt;
  bool pm = ampm[0] == 'P' || ampm[0] == 'p';
  int hour24 = (h % 12) + (pm ? 12 : 0);
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  tm.tm_hour = hour24;
  tm.tm_min = m;
  tm.tm_sec = 0;
  auto candidate = std::chrono::system_clock::from_time_t(timegm(&tm));
  if (candidate + std::chrono::seconds(30) < now) candidate += std::chrono::hours(24);
  return candidate;
}

// ---------------------------------------------------------------- one camera

struct Image {
  std::string bytes;
  bool acked = false;
};

struct Directive {
  std::string kind;  // upload, capture-upload, resend
  std::string name;
  int size = 0;
  int partial = -1;
  std::vector<int> chunks;
};

class Camera {
 public:
  Camera(const Options& opt, std::string mac, int index)
      : opt_(opt), mac_(std::move(mac)), index_(index), rng_(opt.seed * 7919u + index) {
    std::string id = "camsim-" + mac_;
    mosq_ = mosquitto_new(id.c_str(), false, this);
    mosquitto_message_callback_set(mosq_, &Camera::OnMessage);
    mosquitto_connect_callback_set(mosq_, &Camera::OnConnect);
    mosquitto_publish_callback_set(mosq_, [](struct mosquitto*, void* u, int) {
      auto* cam = static_cast<Camera*>(u);
      std::lock_guard<std::mutex> lock(cam->mutex_);
      if (cam->unacked_ > 0) --cam->unacked_;
      cam->cv_.notify_all();
    });
    // (callbacks are set here: setting one from inside a callback deadlocks libmosquitto)
    mosquitto_subscribe_callback_set(mosq_, [](struct mosquitto*, void* u, int, int, const int*) {
      auto* cam = static_cast<Camera*>(u);
      std::lock_guard<std::mutex> lock(cam->mutex_);
      cam->subscribed_ = true;
      cam->cv_.notify_all();
    });
    mosquitto_max_inflight_messages_set(mosq_, 0);
  }
  ~Camera() {
    Sleep(false);
    mosquitto_destroy(mosq_);
  }
  const std::string& mac() const { return mac_; }

  std::string Topic(const char* sub) const { return opt_.prefix + "/" + mac_ + "/" + sub; }

  // Connects (the persistent session brings queued commands) and waits for the subscription.
  bool Wake() {
    if (awake_) return true;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      subscribed_ = false;
    }
    if (mosquitto_connect(mosq_, opt_.host.c_str(), opt_.port, 30) != MOSQ_ERR_SUCCESS) {
      Out("ERROR " + mac_ + " connect failed");
      return false;
    }
    mosquitto_loop_start(mosq_);
    awake_ = true;
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return subscribed_; });
    Out("WAKE " + mac_);
    return subscribed_;
  }

  // Disconnects once every publish is PUBACKed (at most 10 s), as firmware that finished its
  // radio work before deep sleep: what it sent has reached the broker.
  void Sleep(bool announce = true) {
    if (!awake_) return;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait_for(lock, std::chrono::seconds(10), [&] { return unacked_ == 0; });
    }
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    awake_ = false;
    if (announce) Out("SLEEP " + mac_);
  }

  void Hello() {
    Json pending = Json::array();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& [name, img] : images_)
        if (!img.acked) pending.push_back(name);
    }
    Json body = {{"device_id", mac_},
                 {"status", "Alive"},
                 {"pendingImg", pending.size()},
                 {"pending_list", pending},
                 {"firmware_version", opt_.firmware},
                 {"battery_voltage", 3.7 + 0.01 * (index_ % 50)},
                 {"wifi_rssi", -50 - (index_ % 40)}};
    Publish("status", body.dump());
    Out("HELLO " + mac_ + " pending=" + std::to_string(pending.size()));
  }

  void Capture(const std::string& name, int size) {
    std::lock_guard<std::mutex> lock(mutex_);
    images_[name] = Image{MakeJpeg(mac_, name, size), false};
  }

  std::string ImageBytes(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = images_.find(name);
    return it == images_.end() ? std::string() : it->second.bytes;
  }

  // METADATA, wait for the server's send_image, then chunks (k of them when partial >= 0, then
  // sleep). Returns false if the camera does not hold the image.
  bool Upload(const std::string& name, int partial = -1) {
    std::string bytes = ImageBytes(name);
    if (bytes.empty()) {
      Out("ERROR " + mac_ + " no image " + name);
      return false;
    }
    int total = static_cast<int>((bytes.size() + opt_.chunk_size - 1) / opt_.chunk_size);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      awaiting_go_ = name;
      go_ = false;
    }
    Json meta = {{"device_id", mac_},
                 {"image_name", name},
                 {"image_size", bytes.size()},
                 {"capture_timestamp", IsoNow()},
                 {"max_chunk_size", opt_.chunk_size},
                 {"total_chunk_count", total},
                 {"error", 0},
                 {"sensor_data",
                  {{"temperature", 20.5 + index_ % 10},
                   {"humidity", 40 + index_ % 30},
                   {"pressure", 1013.2},
                   {"gas_resistance", 15000 + index_}}}};
    Publish("data", meta.dump());
    Out("METADATA " + mac_ + " " + name + " chunks=" + std::to_string(total));
    {
      std::unique_lock<std::mutex> lock(mutex_);
      bool went =
          cv_.wait_for(lock, std::chrono::duration<double>(opt_.go_timeout), [&] { return go_; });
      awaiting_go_.clear();
      if (!went) Out("NO_GO " + mac_ + " " + name);
    }
    std::vector<int> order(total);
    for (int i = 0; i < total; ++i) order[i] = i;
    if (opt_.shuffle) std::shuffle(order.begin(), order.end(), rng_);
    int limit = partial >= 0 ? std::min(partial, total) : total;
    std::uniform_real_distribution<double> coin(0, 1);
    for (int n = 0; n < limit; ++n) {
      SendChunk(name, bytes, order[n]);
      if (opt_.duplicate_fraction > 0 && coin(rng_) < opt_.duplicate_fraction)
        SendChunk(name, bytes, order[n]);
    }
    chunks_sent_ += limit;
    if (partial >= 0) {
      Out("SLEEP_MID_UPLOAD " + mac_ + " " + name + " " + std::to_string(limit) + "/" +
          std::to_string(total));
      Sleep();
      return true;
    }
    Out("UPLOADED " + mac_ + " " + name + " chunks=" + std::to_string(total));
    return true;
  }

  void Resend(const std::string& name, const std::vector<int>& chunks) {
    std::string bytes = ImageBytes(name);
    if (bytes.empty()) return;
    int total = static_cast<int>((bytes.size() + opt_.chunk_size - 1) / opt_.chunk_size);
    int sent = 0;
    for (int c : chunks)
      if (c >= 0 && c < total) SendChunk(name, bytes, c), ++sent;
    Out("RESENT " + mac_ + " " + name + " chunks=" + std::to_string(sent));
  }

  // Waits for ACK_OK of name; returns the next_wake_time it carried.
  std::optional<std::string> WaitAck(const std::string& name, double seconds) {
    std::unique_lock<std::mutex> lock(mutex_);
    bool got = cv_.wait_for(lock, std::chrono::duration<double>(seconds),
                            [&] { return acks_.count(name) > 0; });
    if (!got) return std::nullopt;
    return acks_[name];
  }

  // Waits for a command of the given type (consumes the record).
  bool WaitCommand(const std::string& type, double seconds) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, std::chrono::duration<double>(seconds), [&] {
      auto it = std::find(commands_seen_.begin(), commands_seen_.end(), type);
      if (it == commands_seen_.end()) return false;
      commands_seen_.erase(it);
      return true;
    });
  }

  // Takes the next directive queued by a command, waiting up to seconds.
  std::optional<Directive> NextDirective(double seconds) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, std::chrono::duration<double>(seconds),
                      [&] { return !directives_.empty(); }))
      return std::nullopt;
    Directive d = directives_.front();
    directives_.pop_front();
    return d;
  }

  void RunDirective(const Directive& d) {
    if (d.kind == "resend") {
      Resend(d.name, d.chunks);
      return;
    }
    if (d.kind == "capture-upload") Capture(d.name, d.size);
    Upload(d.name, d.partial);
  }

  // Publishes a body as given on {prefix}/{MAC}/{sub} (script mode's send-raw: malformed input).
  void PublishRaw(const std::string& sub, const std::string& body) { Publish(sub.c_str(), body); }

  // The earliest wake time it was told (ACK_OK next_wake_time, set_wake_schedule) still ahead.
  std::optional<std::chrono::system_clock::time_point> next_wake() {
    std::lock_guard<std::mutex> lock(mutex_);
    auto now = std::chrono::system_clock::now();
    while (!wakes_.empty() && *wakes_.begin() <= now) wakes_.erase(wakes_.begin());
    if (wakes_.empty()) return std::nullopt;
    return *wakes_.begin();
  }
  long chunks_sent() const { return chunks_sent_; }
  int NewImageNumber() { return ++image_counter_; }

 private:
  static std::string IsoNow() {
    std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
  }

  void Publish(const char* sub, const std::string& body) {
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

  void SendChunk(const std::string& name, const std::string& bytes, int i) {
    std::string_view part(bytes);
    part = part.substr(static_cast<size_t>(i) * opt_.chunk_size, opt_.chunk_size);
    Json chunk = {{"device_id", mac_},
                  {"image_name", name},
                  {"chunk_id", i},
                  {"max_chunk_size", opt_.chunk_size},
                  {"payload", devicewake::core::EncodeBase64(part)}};
    Publish("data", chunk.dump());
  }

  void Acknowledge(const Json& body, const std::string& type) {
    Json ack = {{"device_id", mac_}, {"command_ack", "acknowledged"}};
    if (body.contains("command_id")) ack["command_id"] = body["command_id"];
    Publish("ack", ack.dump());
  }

  static void OnConnect(struct mosquitto* m, void* user, int rc) {
    auto* self = static_cast<Camera*>(user);
    if (rc != 0) return;
    int mid = 0;
    std::string cmd = self->Topic("cmd"), ack = self->Topic("ack");
    char* topics[] = {cmd.data(), ack.data()};
    mosquitto_subscribe_multiple(m, &mid, 2, topics, 1, 0, nullptr);
  }

  static void OnMessage(struct mosquitto*, void* user, const struct mosquitto_message* msg) {
    static_cast<Camera*>(user)->Handle(
        msg->topic, std::string(static_cast<const char*>(msg->payload), msg->payloadlen));
  }

  // Runs on libmosquitto's thread: acknowledges and records; long work goes to the agent.
  void Handle(const std::string& topic, const std::string& payload) {
    Json body = Json::parse(payload, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return;
    bool is_ack_topic = topic.size() >= 4 && topic.compare(topic.size() - 4, 4, "/ack") == 0;
    std::unique_lock<std::mutex> lock(mutex_);
    if (is_ack_topic) {
      if (!body.contains("ACK_OK")) return;  // our own command acknowledgements come back too
      std::string name = body.value("image_name", "");
      std::string next =
          body["ACK_OK"].is_object() ? body["ACK_OK"].value("next_wake_time", "") : "";
      acks_[name] = next;
      if (images_.count(name)) images_[name].acked = true;
      if (auto t = NextWallTime(next)) wakes_.insert(*t);
      cv_.notify_all();
      lock.unlock();
      Out("ACK_OK " + mac_ + " " + name + " " + next);
      return;
    }
    std::string type, detail;
    Directive d;
    bool directive = false;
    if (body.contains("next_wake")) {
      type = "set_wake_schedule";
      detail = body["next_wake"].is_string() ? body["next_wake"].get<std::string>() : "";
      if (auto t = NextWallTime(detail)) wakes_.insert(*t);  // a manual wake adds a wake
    } else if (body.contains("send_image")) {
      type = "send_image";
      detail = body["send_image"].is_string() ? body["send_image"].get<std::string>() : "";
      if (detail == awaiting_go_) {
        go_ = true;
        type =
            "go";  // the server's answer to METADATA: printed as GO, acknowledged like any command
      } else {
        d.kind = "upload", d.name = detail, directive = true;
      }
    } else if (body.contains("capture_image")) {
      type = "capture_image";
      detail = "image_" + std::to_string(++image_counter_) + ".jpg";
      d.kind = "capture-upload", d.name = detail, d.size = opt_.image_size, directive = true;
    } else if (body.contains("missing_chunks")) {
      type = "resend_chunks";
      d.kind = "resend", d.name = body.value("image_name", ""), directive = true;
      if (body["missing_chunks"].is_array())
        for (auto& c : body["missing_chunks"])
          if (c.is_number_integer()) d.chunks.push_back(c.get<int>());
      detail = d.name + " " + std::to_string(d.chunks.size());
    } else if (body.contains("reboot")) {
      type = "reboot";
    } else if (body.contains("firmware_url")) {
      type = "update_firmware";
    } else if (body.contains("ping")) {
      type = "ping";
    } else {
      type = "update_config";
    }
    commands_seen_.push_back(type);
    if (directive) directives_.push_back(d);
    cv_.notify_all();
    lock.unlock();
    if (type == "go") {
      Out("GO " + mac_ + " " + detail);
    } else {
      Out("CMD " + mac_ + " " + type + (detail.empty() ? "" : " " + detail));
    }
    Acknowledge(body, type);
  }

  const Options& opt_;
  std::string mac_;
  int index_;
  std::mt19937 rng_;
  struct mosquitto* mosq_ = nullptr;
  bool awake_ = false;
  std::atomic<long> chunks_sent_{0};
  std::atomic<int> image_counter_{0};

  std::mutex mutex_;  // guards everything below
  std::condition_variable cv_;
  bool subscribed_ = false;
  long unacked_ = 0;  // publishes not yet PUBACKed
  std::map<std::string, Image> images_;
  std::map<std::string, std::string> acks_;  // image -> next_wake_time of its ACK_OK
  std::deque<std::string> commands_seen_;
  std::deque<Directive> directives_;
  std::string awaiting_go_;
  bool go_ = false;
  std::set<std::chrono::system_clock::time_point> wakes_;
};

std::string MacFor(const Options& opt, int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*X", static_cast<int>(12 - opt.mac_prefix.size()), i + 1);
  return opt.mac_prefix + buf;
}

bool SleepsMidUpload(const Options& opt, const std::string& mac, int i) {
  if (opt.sleep_cameras.count(mac) || opt.sleep_cameras.count(std::to_string(i))) return true;
  return opt.sleep_fraction > 0 &&
         (i * 0.6180339887 - static_cast<int>(i * 0.6180339887)) < opt.sleep_fraction;
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

std::chrono::system_clock::duration SysDuration(double seconds) {
  return std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::duration<double>(seconds));
}

// A camera told no wake time wakes at the next multiple of --fallback-wake seconds (UTC), as
// firmware falls back to its last schedule.
std::chrono::system_clock::time_point FallbackWake(const Options& opt) {
  long step = std::max(1L, static_cast<long>(opt.fallback_wake));
  long now = static_cast<long>(std::time(nullptr));
  return std::chrono::system_clock::from_time_t((now / step + 1) * step);
}

int RunFleet(const Options& opt) {
  std::vector<std::unique_ptr<Camera>> cams;
  for (int i = 0; i < opt.cameras; ++i)
    cams.push_back(std::make_unique<Camera>(opt, MacFor(opt, i), i));
  auto end = Clock::now() + std::chrono::duration<double>(opt.duration);
  std::vector<std::thread> threads;
  for (int i = 0; i < opt.cameras; ++i) {
    threads.emplace_back([&, i] {
      Camera& cam = *cams[i];
      bool sleeper = SleepsMidUpload(opt, cam.mac(), i);
      int wakes = 0;
      while (Clock::now() < end) {
        if (!cam.Wake()) break;
        ++wakes;
        cam.Hello();
        std::string name = "image_" + std::to_string(cam.NewImageNumber()) + ".jpg";
        cam.Capture(name, opt.image_size);
        int total = (opt.image_size + opt.chunk_size - 1) / opt.chunk_size;
        // the designated sleeper falls asleep during its first upload only
        bool partial = sleeper && wakes == 1;
        cam.Upload(name, partial ? (opt.sleep_after >= 0 ? opt.sleep_after : total / 2) : -1);
        if (!partial) {
          if (!cam.WaitAck(name, opt.ack_timeout)) Out("TIMEOUT " + cam.mac() + " " + name);
          // stay awake while commands keep coming
          while (auto d = cam.NextDirective(opt.awake)) {
            cam.RunDirective(*d);
            if (d->kind != "resend") cam.WaitAck(d->name, opt.ack_timeout);
          }
          cam.Sleep();
        }
        auto now_sys = std::chrono::system_clock::now();
        auto wake_at = cam.next_wake().value_or(FallbackWake(opt)) + SysDuration(opt.wake_delay);
        std::time_t wake_t = std::chrono::system_clock::to_time_t(wake_at);
        char when[16];
        std::strftime(when, sizeof when, "%H:%M:%S", std::gmtime(&wake_t));
        Out("NEXT_WAKE " + cam.mac() + " " + when + "Z in " +
            std::to_string(
                static_cast<int>(std::chrono::duration<double>(wake_at - now_sys).count())) +
            "s");
        while (std::chrono::system_clock::now() < wake_at && Clock::now() < end)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  for (auto& t : threads) t.join();
  Out("DONE fleet");
  return 0;
}

int RunScript(const Options& opt) {
  std::map<std::string, std::unique_ptr<Camera>> cams;
  int next_index = 0;
  auto cam = [&](const std::string& mac) -> Camera& {
    auto& slot = cams[mac];
    if (!slot) slot = std::make_unique<Camera>(opt, mac, next_index++);
    return *slot;
  };
  PGconn* conn = nullptr;
  std::string line;
  int failures = 0;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string verb, mac, name;
    in >> verb;
    if (verb.empty() || verb[0] == '#') continue;
    if (verb == "quit") break;
    in >> mac;
    if (verb == "hello") {
      cam(mac).Wake();
      cam(mac).Hello();
    } else if (verb == "capture" || verb == "upload" || verb == "upload-partial") {
      int size = opt.image_size, k = -1;
      in >> name >> size;
      if (verb == "upload-partial") in >> k;
      Camera& c = cam(mac);
      if (c.ImageBytes(name).empty() || verb == "capture") c.Capture(name, size);
      if (verb != "capture") {
        c.Wake();
        c.Upload(name, verb == "upload-partial" ? k : -1);
      }
    } else if (verb == "send-raw") {
      std::string sub, rest;
      in >> sub;
      std::getline(in, rest);
      rest.erase(0, rest.find_first_not_of(' '));
      Camera& c = cam(mac);
      c.Wake();
      Out("RAW " + mac + " " + sub);
      c.PublishRaw(sub, rest);
    } else if (verb == "wait-ack") {
      double seconds = 10;
      in >> name >> seconds;
      if (auto next = cam(mac).WaitAck(name, seconds)) {
        // ACK_OK line already printed by the callback
      } else {
        Out("TIMEOUT " + mac + " " + name);
        ++failures;
      }
    } else if (verb == "wait-cmd") {
      std::string type;
      double seconds = 10;
      in >> type >> seconds;
      Camera& c = cam(mac);
      if (!c.WaitCommand(type, seconds)) {
        Out("TIMEOUT " + mac + " " + type);
        ++failures;
      } else {
        // run what the command asked for (uploads, resends) before the next directive
        while (auto d = c.NextDirective(0)) c.RunDirective(*d);
      }
    } else if (verb == "sleep") {
      cam(mac).Sleep();
    } else if (verb == "verify") {
      in >> name;
      if (!conn && !(conn = Connect())) return 2;
      std::string verdict = VerifyImage(conn, mac, name, cam(mac).ImageBytes(name));
      Out("VERIFY " + mac + " " + name + " " + verdict);
      if (verdict != "ok") ++failures;
    } else {
      std::fprintf(stderr, "camera_sim: unknown directive '%s'\n%s", verb.c_str(), kScriptHelp);
      return 2;
    }
  }
  if (conn) PQfinish(conn);
  cams.clear();
  Out("DONE script failures=" + std::to_string(failures));
  return failures == 0 ? 0 : 1;
}

int RunBench(const Options& opt) {
  std::vector<std::unique_ptr<Camera>> cams;
  for (int i = 0; i < opt.cameras; ++i)
    cams.push_back(std::make_unique<Camera>(opt, MacFor(opt, i), i));
  const std::string name = "bench_" + std::to_string(std::time(nullptr)) + ".jpg";
  for (auto& c : cams) {
    c->Capture(name, opt.image_size);
    if (!c->Wake()) return 2;
    c->Hello();
  }
  std::vector<double> e2e(opt.cameras, -1);
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < opt.cameras; ++i) {
    threads.emplace_back([&, i] {
      auto start = Clock::now();
      cams[i]->Upload(name);
      if (cams[i]->WaitAck(name, opt.ack_timeout)) e2e[i] = Seconds(Clock::now() - start);
    });
  }
  for (auto& t : threads) t.join();
  double wall = Seconds(Clock::now() - t0);
  std::vector<double> done;
  for (double v : e2e)
    if (v >= 0) done.push_back(v);
  long chunks = 0;
  for (auto& c : cams) chunks += c->chunks_sent();
  std::printf("bench cameras=%d image_bytes=%d chunk_bytes=%d chunks=%ld acked=%zu wall_s=%.2f\n",
              opt.cameras, opt.image_size, opt.chunk_size, chunks, done.size(), wall);
  std::printf("bench chunks_per_s=%.0f e2e_p50_ms=%.0f e2e_p99_ms=%.0f e2e_max_ms=%.0f\n",
              wall > 0 ? chunks / wall : 0, 1000 * Percentile(done, 0.5),
              1000 * Percentile(done, 0.99), 1000 * Percentile(done, 1.0));
  int ok = 0;
  if (opt.verify) {
    PGconn* conn = Connect();
    if (!conn) return 2;
    for (auto& c : cams) ok += VerifyImage(conn, c->mac(), name, c->ImageBytes(name)) == "ok";
    PQfinish(conn);
    std::printf("bench byte_exact=%d/%d\n", ok, opt.cameras);
  }
  std::fflush(stdout);
  for (auto& c : cams) c->Sleep(false);
  return (static_cast<int>(done.size()) == opt.cameras && (!opt.verify || ok == opt.cameras)) ? 0
                                                                                              : 1;
}

// Raw broker floor: N publishers send the same chunk messages to BENCHRAW/{MAC}/data; one plain
// subscriber counts them.
int RunBaselineBroker(const Options& opt) {
  struct Counter {
    std::atomic<long> n{0};
  } counter;
  mosquitto_lib_init();
  struct mosquitto* sub = mosquitto_new(nullptr, true, &counter);
  mosquitto_message_callback_set(sub,
                                 [](struct mosquitto*, void* u, const struct mosquitto_message*) {
                                   static_cast<Counter*>(u)->n++;
                                 });
  if (mosquitto_connect(sub, opt.host.c_str(), opt.port, 30) != MOSQ_ERR_SUCCESS) return 2;
  mosquitto_subscribe(sub, nullptr, "BENCHRAW/+/data", 1);
  mosquitto_loop_start(sub);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // tool, not a test: SUBACK settles
  int total = (opt.image_size + opt.chunk_size - 1) / opt.chunk_size;
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

// libpq floor: the same chunk rows INSERTed one row per statement (autocommit) by one client.
int RunBaselineInsert(const Options& opt) {
  PGconn* conn = Connect();
  if (!conn) return 2;
  PQclear(PQexec(conn,
                 "CREATE TEMP TABLE bench_chunks (mac text, image_name text, chunk_index integer, "
                 "data bytea, PRIMARY KEY (mac, image_name, chunk_index))"));
  int total = (opt.image_size + opt.chunk_size - 1) / opt.chunk_size;
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
      PGresult* r = PQexecParams(conn, "INSERT INTO bench_chunks VALUES ($1, $2, $3, $4)", 4,
                                 nullptr, values, lengths, formats, 0);
      rows += PQresultStatus(r) == PGRES_COMMAND_OK;
      PQclear(r);
    }
  }
  double wall = Seconds(Clock::now() - t0);
  std::printf("baseline-insert rows=%ld wall_s=%.2f chunks_per_s=%.0f\n", rows, wall, rows / wall);
  PQfinish(conn);
  return 0;
}

void Usage() {
  std::fprintf(stderr,
               "usage: camera_sim [options] fleet|script|bench|baseline-broker|baseline-insert\n"
               "  --host H --port P (default $DW_MQTT_PORT) --prefix ESP32CAM\n"
               "  --cameras N --mac-prefix HEX --image-size BYTES --chunk-size BYTES\n"
               "  --sleep-fraction F --sleep-cameras MAC|INDEX[,…] --sleep-after K\n"
               "  --duplicate F --shuffle --go-timeout S --ack-timeout S --awake S\n"
               "  --duration S --wake-delay S --fallback-wake S --seed N --no-verify\n%s",
               kScriptHelp);
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (const char* p = std::getenv("DW_MQTT_PORT")) opt.port = std::atoi(p);
  std::string mode;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        Usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--host")
      opt.host = next();
    else if (a == "--port")
      opt.port = std::stoi(next());
    else if (a == "--prefix")
      opt.prefix = next();
    else if (a == "--cameras")
      opt.cameras = std::stoi(next());
    else if (a == "--mac-prefix")
      opt.mac_prefix = next();
    else if (a == "--image-size")
      opt.image_size = std::stoi(next());
    else if (a == "--chunk-size")
      opt.chunk_size = std::stoi(next());
    else if (a == "--sleep-fraction")
      opt.sleep_fraction = std::stod(next());
    else if (a == "--sleep-cameras") {
      std::stringstream list(next());
      std::string item;
      while (std::getline(list, item, ',')) opt.sleep_cameras.insert(item);
    } else if (a == "--sleep-after")
      opt.sleep_after = std::stoi(next());
    else if (a == "--duplicate")
      opt.duplicate_fraction = std::stod(next());
    else if (a == "--shuffle")
      opt.shuffle = true;
    else if (a == "--go-timeout")
      opt.go_timeout = std::stod(next());
    else if (a == "--ack-timeout")
      opt.ack_timeout = std::stod(next());
    else if (a == "--awake")
      opt.awake = std::stod(next());
    else if (a == "--duration")
      opt.duration = std::stod(next());
    else if (a == "--wake-delay")
      opt.wake_delay = std::stod(next());
    else if (a == "--fallback-wake")
      opt.fallback_wake = std::stod(next());
    else if (a == "--seed")
      opt.seed = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--no-verify")
      opt.verify = false;
    else if (a == "-h" || a == "--help") {
      Usage();
      return 0;
    } else if (a[0] != '-' && mode.empty())
      mode = a;
    else {
      Usage();
      return 2;
    }
  }
  if (opt.chunk_size < 1 || opt.image_size < 6 || opt.cameras < 1 || opt.mac_prefix.size() > 11) {
    Usage();
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
    Usage();
  mosquitto_lib_cleanup();
  return rc;
}

// Test tool for the reliability suite: a simulated camera that uploads images and answers the
// server's resend requests, a flood of malformed messages, and a command subscriber that counts
// distinct commands across broker restarts.
// Usage:
//   fault_client device MAC IMAGES CHUNKS CHUNK_BYTES TIMEOUT_S [PREFIX]
//       says HELLO with IMAGES pending images and, like the firmware, waits to be told: on
//       send_all_pending it publishes every image (METADATA, then every chunk at QoS 1), then
//       serves missing_chunks (on /ack) and send_image (the whole image again) until every image
//       is complete in the database (or TIMEOUT_S); reconnects to the broker if it goes away.
//       Like the firmware it keeps every image without an ACK_OK: after 20 s without a word from
//       the server it wakes again (a new HELLO listing them) and sends them when told. Prints
//       "key value" lines.
//   fault_client flood COUNT SEED MAC
//       publishes COUNT malformed messages at QoS 1 (every one must be rejected), waits for every
//       PUBACK, prints the count per category.
//   fault_client subscribe TOPIC OUTFILE
//       appends the send_image name of every message on TOPIC to OUTFILE (one line each, flushed);
//       resubscribes after every reconnect. Runs until killed.
// Environment: PG* for libpq, DW_MQTT_PORT for the broker on 127.0.0.1.
#include <libpq-fe.h>
#include <mosquitto.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/base64.hpp"
#include "pg_client.hpp"

namespace {

using devicewake::tools::ConnectOrExit;
using devicewake::tools::Scalar;

using Clock = std::chrono::steady_clock;

int BrokerPort() {
  const char* port = std::getenv("DW_MQTT_PORT");
  return port ? std::atoi(port) : 1883;
}

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// A libmosquitto connection run by its own thread (test tool only), that reconnects by itself.
struct Connection {
  struct mosquitto* mosq = nullptr;
  std::mutex mutex;
  std::vector<std::string> subscriptions;
  std::vector<std::pair<std::string, std::string>> inbox;  // topic, payload
  std::set<int> unacked;                                   // mids published, PUBACK not yet seen
  std::atomic<long> acked{0};
  std::atomic<bool> connected{false};

  static void OnConnect(struct mosquitto* m, void* self, int rc) {
    auto* c = static_cast<Connection*>(self);
    if (rc != 0) return;
    std::lock_guard<std::mutex> lock(c->mutex);
    for (const std::string& t : c->subscriptions) mosquitto_subscribe(m, nullptr, t.c_str(), 1);
    c->connected = true;
  }
  static void OnDisconnect(struct mosquitto*, void* self, int) {
    static_cast<Connection*>(self)->connected = false;
  }
  static void OnPublish(struct mosquitto*, void* self, int mid) {
    auto* c = static_cast<Connection*>(self);
    std::lock_guard<std::mutex> lock(c->mutex);
    if (c->unacked.erase(mid)) ++c->acked;
  }
  static void OnMessage(struct mosquitto*, void* self, const struct mosquitto_message* msg) {
    auto* c = static_cast<Connection*>(self);
    std::lock_guard<std::mutex> lock(c->mutex);
    c->inbox.emplace_back(msg->topic,
                          std::string(static_cast<const char*>(msg->payload), msg->payloadlen));
  }

  void Open(const std::string& client_id, bool clean, std::vector<std::string> topics) {
    mosquitto_lib_init();
    subscriptions = std::move(topics);
    mosq = mosquitto_new(client_id.empty() ? nullptr : client_id.c_str(), clean, this);
    mosquitto_connect_callback_set(mosq, OnConnect);
    mosquitto_disconnect_callback_set(mosq, OnDisconnect);
    mosquitto_publish_callback_set(mosq, OnPublish);
    mosquitto_message_callback_set(mosq, OnMessage);
    mosquitto_max_inflight_messages_set(mosq, 100);
    mosquitto_reconnect_delay_set(mosq, 1, 2, false);
    mosquitto_connect_async(mosq, "127.0.0.1", BrokerPort(), 30);
    mosquitto_loop_start(mosq);  // a thread in this test tool only; never inside PostgreSQL
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (!connected && Clock::now() < deadline) Sleep(10);
    if (!connected) {
      std::fprintf(stderr, "cannot connect to the broker\n");
      std::exit(2);
    }
  }

  // Publishes at QoS 1; the message is counted acknowledged when its PUBACK arrives. libmosquitto
  // keeps un-PUBACKed messages of a session and resends them after a reconnect.
  // False when libmosquitto refuses the topic itself (e.g. a control character): never sent.
  bool Publish(const std::string& topic, const std::string& payload) {
    std::lock_guard<std::mutex> lock(mutex);
    int mid = 0;
    int rc = mosquitto_publish(mosq, &mid, topic.c_str(), static_cast<int>(payload.size()),
                               payload.data(), 1, false);
    if (rc == MOSQ_ERR_SUCCESS) unacked.insert(mid);
    return rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_NO_CONN;
  }

  bool WaitAcked(int seconds) {
    auto deadline = Clock::now() + std::chrono::seconds(seconds);
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (unacked.empty()) return true;
      }
      if (Clock::now() >= deadline) return false;
      Sleep(5);
    }
  }

  std::vector<std::pair<std::string, std::string>> Take() {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<std::pair<std::string, std::string>> out;
    out.swap(inbox);
    return out;
  }

  void Close() {
    mosquitto_disconnect(mosq);
    mosquitto_loop_stop(mosq, true);
    mosquitto_destroy(mosq);
  }
};

// The JSON string value of "key" in a flat body (the server's bodies are compact and known).
std::string StringField(const std::string& body, const std::string& key) {
  std::string needle = "\"" + key + "\":\"";
  std::size_t p = body.find(needle);
  if (p == std::string::npos) return {};
  p += needle.size();
  return body.substr(p, body.find('"', p) - p);
}

std::vector<int> IntArrayField(const std::string& body, const std::string& key) {
  std::vector<int> out;
  std::size_t p = body.find("\"" + key + "\":[");
  if (p == std::string::npos) return out;
  p = body.find('[', p) + 1;
  std::size_t end = body.find(']', p);
  while (p < end) {
    out.push_back(std::atoi(body.c_str() + p));
    p = body.find(',', p);
    if (p == std::string::npos || p > end) break;
    ++p;
  }
  return out;
}

// ------------------------------------------------------------------------------------- device
int Device(const std::string& mac, int images, int chunks, int chunk_bytes, int timeout_s,
           const std::string& prefix) {
  std::mt19937 rng(12345);
  std::vector<std::vector<std::string>> parts(images);  // base64 chunks per image
  for (int i = 0; i < images; ++i) {
    std::string jpeg = "\xff\xd8\xff\xe0";
    while (static_cast<int>(jpeg.size()) < chunks * chunk_bytes - 2)
      jpeg.push_back(static_cast<char>(rng()));
    jpeg += "\xff\xd9";
    for (int k = 0; k < chunks; ++k) {
      std::string part = jpeg.substr(static_cast<std::size_t>(k) * chunk_bytes, chunk_bytes);
      parts[i][0].size();  // keep vector sized below
      (void)part;
    }
    parts[i].resize(chunks);
    for (int k = 0; k < chunks; ++k) {
      std::string part = jpeg.substr(static_cast<std::size_t>(k) * chunk_bytes, chunk_bytes);
      parts[i][k] = devicewake::core::EncodeBase64(part);
    }
  }
  auto name = [&](int i) { return prefix + "_" + std::to_string(i) + ".jpg"; };
  auto chunk_body = [&](int i, int k) {
    return "{\"device_id\":\"" + mac + "\",\"image_name\":\"" + name(i) +
           "\",\"chunk_id\":" + std::to_string(k) +
           ",\"max_chunk_size\":" + std::to_string(chunk_bytes) + ",\"payload\":\"" + parts[i][k] +
           "\"}";
  };
  const std::string data = "ESP32CAM/" + mac + "/data";

  Connection conn;
  conn.Open("", true, {"ESP32CAM/" + mac + "/cmd", "ESP32CAM/" + mac + "/ack"});
  PGconn* db = ConnectOrExit();
  auto t0 = Clock::now();
  auto deadline = t0 + std::chrono::seconds(timeout_s);

  std::map<std::string, int> index;
  for (int i = 0; i < images; ++i) index[name(i)] = i;
  auto metadata_body = [&](int i) {
    return "{\"device_id\":\"" + mac + "\",\"image_name\":\"" + name(i) +
           "\",\"image_size\":" + std::to_string(chunks * chunk_bytes) +
           ",\"timestamp\":1795357865,\"max_chunk_size\":" + std::to_string(chunk_bytes) +
           ",\"total_chunk_count\":" + std::to_string(chunks) + ",\"error\":0}";
  };
  bool told = false;        // send_all_pending arrived
  bool first_pass = false;  // every image was sent once
  std::set<int> acked;      // images the server answered with ACK_OK (true or the sleep signal)
  long wakes = 1;
  auto last_heard = Clock::now();
  long published = 0, resend_requests = 0, chunks_requested = 0, whole_resends = 0;
  std::set<std::pair<int, int>> requested_distinct;
  auto send_image = [&](int i) {
    conn.Publish(data, metadata_body(i));
    ++published;
    for (int k = 0; k < chunks; ++k, ++published) conn.Publish(data, chunk_body(i, k));
  };
  auto handle = [&](const std::pair<std::string, std::string>& m) {
    const std::string& body = m.second;
    last_heard = Clock::now();
    if (body.find("\"ACK_OK\"") != std::string::npos) {
      std::string acked_name = StringField(body, "image_name");
      if (index.count(acked_name)) acked.insert(index[acked_name]);
      return;
    }
    if (body.find("\"send_all_pending\":true") != std::string::npos) {
      told = true;
      if (first_pass) {  // a later wake: what the server has not acknowledged yet
        for (int i = 0; i < images; ++i) {
          if (!acked.count(i)) send_image(i);
        }
      }
      return;
    }
    std::string send = StringField(body, "send_image");
    if (!send.empty() && index.count(send)) {
      // A retry (retry_image goes out as send_image): the firmware sends the whole image again.
      ++whole_resends;
      send_image(index[send]);
      return;
    }
    std::vector<int> missing = IntArrayField(body, "missing_chunks");
    std::string image = StringField(body, "image_name");
    if (!missing.empty() && index.count(image)) {
      ++resend_requests;
      int i = index[image];
      for (int k : missing) {
        ++chunks_requested;
        requested_distinct.insert({i, k});
        if (k >= 0 && k < chunks) {
          conn.Publish(data, chunk_body(i, k));
          ++published;
        }
      }
    }
  };

  // HELLO (opens the wake session), then nothing until the server asks for the backlog.
  std::string pending_list;
  for (int i = 0; i < images && i < 10; ++i) pending_list += (i ? ",\"" : "\"") + name(i) + "\"";
  conn.Publish("ESP32CAM/" + mac + "/status",
               "{\"device_id\":\"" + mac + "\",\"status\":\"Alive\",\"pendingImg\":" +
                   std::to_string(images) + ",\"pending_list\":[" + pending_list + "]}");
  while (!told && Clock::now() < deadline) {
    for (auto& m : conn.Take()) handle(m);
    Sleep(5);
  }
  std::printf("told_send_all_pending %d\n", told ? 1 : 0);
  std::fflush(stdout);
  for (int i = 0; i < images; ++i) send_image(i);
  first_pass = true;
  conn.WaitAcked(timeout_s);
  long acked_first = conn.acked.load();
  std::printf("chunks_published_first_pass %d\n", images * chunks);
  std::printf("first_pass_acked_at_ms %.0f\n",
              std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  std::fflush(stdout);

  std::string complete;
  std::string sql =
      "SELECT count(*) FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id)"
      " WHERE d.device_mac = '" +
      mac + "' AND i.image_name LIKE '" + prefix + "\\_%' AND i.status = 'complete'";
  while (Clock::now() < deadline) {
    for (auto& m : conn.Take()) handle(m);
    if (static_cast<int>(acked.size()) < images &&
        Clock::now() - last_heard > std::chrono::seconds(20)) {
      // asleep since the server fell silent; the next wake lists what was never acknowledged
      std::string names;
      int unacked = 0;
      for (int i = 0; i < images; ++i) {
        if (acked.count(i)) continue;
        if (unacked < 10) names += (unacked ? ",\"" : "\"") + name(i) + "\"";
        ++unacked;
      }
      conn.Publish("ESP32CAM/" + mac + "/status",
                   "{\"device_id\":\"" + mac + "\",\"status\":\"Alive\",\"pendingImg\":" +
                       std::to_string(unacked) + ",\"pending_list\":[" + names + "]}");
      ++published;
      ++wakes;
      last_heard = Clock::now();
    }
    complete = Scalar(db, sql);
    if (complete.empty()) {  // the server is restarting
      PQreset(db);
    } else if (std::atoi(complete.c_str()) >= images) {
      break;
    }
    Sleep(50);
  }
  conn.WaitAcked(5);
  std::printf("puback_received %ld\n", conn.acked.load());
  std::printf("first_pass_pubacks %ld\n", acked_first);
  std::printf("resend_requests %ld\n", resend_requests);
  std::printf("chunks_requested %ld\n", chunks_requested);
  std::printf("chunks_requested_distinct %zu\n", requested_distinct.size());
  std::printf("whole_image_resends %ld\n", whole_resends);
  std::printf("wakes %ld\n", wakes);
  std::printf("messages_published %ld\n", published + 1);
  std::printf("complete %s\n", complete.c_str());
  std::printf("elapsed_ms %.0f\n",
              std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  conn.Close();
  PQfinish(db);
  return std::atoi(complete.c_str()) >= images ? 0 : 1;
}

// -------------------------------------------------------------------------------------- flood
std::string RandomBytes(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  if (!s.empty() && s[0] == '{') s[0] = '\x80';  // never valid JSON, never UTF-8
  return s;
}

int Flood(long count, unsigned seed, const std::string& mac) {
  std::mt19937 rng(seed);
  const std::string base = "ESP32CAM/" + mac;
  const std::string valid_chunk = "{\"device_id\":\"" + mac +
                                  "\",\"image_name\":\"flood.jpg\",\"chunk_id\":3,\"max_chunk_"
                                  "size\":1024,\"payload\":\"/9j/4AAQ\"}";
  const std::string valid_meta =
      "{\"device_id\":\"" + mac +
      "\",\"image_name\":\"flood.jpg\",\"image_size\":4000,\"timestamp\":1795357865,\"max_chunk_"
      "size\":1024,\"total_chunk_count\":4,\"error\":0}";
  const std::string valid_hello =
      "{\"device_id\":\"" + mac +
      "\",\"status\":\"Alive\",\"pendingImg\":1,\"pending_list\":[\"image_1.jpg\"]}";
  const char* kinds[] = {"/status", "/data", "/ack"};
  // Topic levels that look like a device but are not one ('+' and '#' cannot appear in a
  // PUBLISH topic, so their look-alikes; a MAC one digit short or long; separators inside).
  const std::vector<std::string> bad_ids = {"not-a-mac",
                                            "AABBCCDDEEF",
                                            "AABBCCDDEEFF0",
                                            "AA\xEF\xBC\x8B"
                                            "BBCCDDEEFF",
                                            "AA\xEF\xBC\x83"
                                            "BBCCDDEEFF",
                                            "\xEF\xBC\xA1\xEF\xBC\xA1"
                                            "BBCCDDEEFF",
                                            "AABBCCDDEEFF%2F",
                                            "..",
                                            "AABBCCDDEE FF",
                                            "TEST-a b",
                                            "TEST-\xE2\x80\x8B",
                                            "",
                                            "aabbccddeeff\x01",
                                            "VIRTUAL:" + std::string(300, 'A')};
  std::map<std::string, long> per_category;
  long refused = 0;
  Connection conn;
  conn.Open("", true, {});
  auto send = [&](const std::string& category, const std::string& topic,
                  const std::string& payload) {
    if (conn.Publish(topic, payload)) {
      ++per_category[category];
    } else {
      ++refused;
    }
  };
  for (long n = 0; n < count; ++n) {
    switch (n % 10) {
      case 0:  // random bytes
        send("random_bytes", base + kinds[rng() % 3], RandomBytes(rng, 1 + rng() % 512));
        break;
      case 1: {  // truncated JSON: a valid message cut before its closing brace
        const std::string& v =
            (rng() % 3 == 0) ? valid_meta : (rng() % 2 ? valid_chunk : valid_hello);
        send("truncated_json", base + (v == valid_hello ? "/status" : "/data"),
             v.substr(0, 1 + rng() % (v.size() - 1)));
        break;
      }
      case 2:  // huge payloads: over the 256 KiB limit (one in 500), or a huge string field
        if (n % 500 == 2) {
          send("huge_payload", base + "/data", std::string(300 * 1024 + rng() % 4096, 'x'));
        } else {
          // (a huge field a HELLO could ignore, such as its status, would not refuse the HELLO)
          send("huge_field", base + "/data",
               "{\"device_id\":\"" + mac + "\",\"image_name\":\"" +
                   std::string(300 + rng() % 3000, 'A') + ".jpg\",\"total_chunk_count\":2}");
        }
        break;
      case 3: {  // wrong types
        static const char* bodies[] = {
            "\"chunk_id\":\"seven\",\"image_name\":\"flood.jpg\",\"payload\":\"AAAA\"",
            "\"chunk_id\":-1,\"image_name\":\"flood.jpg\",\"payload\":\"AAAA\"",
            "\"chunk_id\":1.5,\"image_name\":\"flood.jpg\",\"payload\":\"AAAA\"",
            "\"chunk_id\":0,\"image_name\":[\"a\"],\"payload\":\"AAAA\"",
            "\"chunk_id\":0,\"image_name\":\"flood.jpg\",\"payload\":12",
            "\"chunk_id\":0,\"image_name\":\"flood.jpg\",\"payload\":\"%%%\"",
            "\"image_name\":\"flood.jpg\",\"total_chunk_count\":\"many\"",
            "\"image_name\":\"flood.jpg\",\"total_chunk_count\":1000000000",
            "\"image_name\":\"flood.jpg\",\"total_chunk_count\":2,\"image_size\":{\"a\":1}",
            "\"image_name\":\"../../etc/passwd\",\"total_chunk_count\":2",
            "\"sensor_data\":[1,2,3]",
            "\"wifi_rssi\":\"strong\"",
            "\"temperature\":1e999",
        };
        send("wrong_types", base + "/data",
             "{\"device_id\":\"" + mac + "\"," + bodies[rng() % 13] + "}");
        break;
      }
      case 4: {  // wrong types on /ack (a HELLO with a bad optional field is not malformed: the
                 // field is ignored and named, and the wake goes on)
        static const char* acks[] = {
            "\"command_ack\":true", "\"command_ack\":\"maybe\"",
            "\"command_ack\":\"acknowledged\",\"command_id\":\"not-a-uuid\"",
            "\"command_ack\":\"acknowledged\",\"command_id\":42", "\"ack\":1"};
        send("wrong_types", base + "/ack",
             "{\"device_id\":\"" + mac + "\"," + acks[rng() % 5] + "}");
        break;
      }
      case 5:  // topic tricks: a level that is not a device id
        send("topic_tricks", "ESP32CAM/" + bad_ids[rng() % bad_ids.size()] + kinds[rng() % 3],
             valid_hello);
        break;
      case 6: {  // another device's id, or an invalid one, in the body
        static const char* ids[] = {
            "112233445566", "AA/BB/CC/DD/EE/FF", "AABBCCDDEE+F", "AABBCCDDEE#F", "", "TEST-#"};
        send("device_id_mismatch", base + kinds[rng() % 3],
             std::string("{\"device_id\":\"") + ids[rng() % 6] +
                 "\",\"status\":\"Alive\",\"command_ack\":\"acknowledged\"}");
        break;
      }
      case 7: {  // not an object, too deep, invalid UTF-8 in a string, empty
        static const std::string bodies[] = {
            "[]",
            "42",
            "\"Alive\"",
            "null",
            std::string(40, '[') + std::string(40, ']'),
            "{\"device_id\":\"" + mac + "\",\"status\":\"\xC3\x28\"}",
            ""};
        send("not_an_object", base + kinds[rng() % 3], bodies[rng() % 7]);
        break;
      }
      case 8:  // data with image fields but no kind; chunks of an image never announced
        if (rng() % 2) {
          send("unknown_kind", base + "/data",
               "{\"device_id\":\"" + mac + "\",\"image_name\":\"flood.jpg\",\"image_size\":10}");
        } else {
          send("unannounced_chunk", base + "/data",
               "{\"device_id\":\"" + mac + "\",\"image_name\":\"never_" + std::to_string(n) +
                   ".jpg\",\"chunk_id\":0,\"payload\":\"/9j/\"}");
        }
        break;
      case 9:  // acknowledgement of a command that does not exist
        send(
            "unknown_command", base + "/ack",
            "{\"device_id\":\"" + mac + "\",\"command_ack\":\"acknowledged\",\"command_id\":\"" +
                "00000000-0000-4000-8000-" +
                [&] {
                  char b[24];
                  std::snprintf(b, sizeof b, "%012lx",
                                static_cast<unsigned long>(n) & 0xffffffffffffUL);
                  return std::string(b);
                }() +
                "\"}");
        break;
    }
    if (n % 1000 == 999) conn.WaitAcked(60);
  }
  bool all = conn.WaitAcked(60);
  for (const auto& [category, n] : per_category) std::printf("%s %ld\n", category.c_str(), n);
  std::printf("refused_by_client_library %ld\n", refused);
  std::printf("published %ld\n", count - refused);
  std::printf("puback_received %ld\n", conn.acked.load());
  conn.Close();
  return all ? 0 : 1;
}

// ---------------------------------------------------------------------------------- subscribe
int Subscribe(const std::string& topic, const std::string& path) {
  FILE* out = std::fopen(path.c_str(), "a");
  if (!out) return 2;
  Connection conn;
  conn.Open("", true, {topic});
  std::printf("subscribed\n");
  std::fflush(stdout);
  for (;;) {
    for (auto& m : conn.Take()) {
      std::string name = StringField(m.second, "send_image");
      std::fprintf(out, "%s\n", name.empty() ? m.second.c_str() : name.c_str());
    }
    std::fflush(out);
    Sleep(5);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 7 && std::strcmp(argv[1], "device") == 0) {
    return Device(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]),
                  std::atoi(argv[6]), argc >= 8 ? argv[7] : "img");
  }
  if (argc >= 5 && std::strcmp(argv[1], "flood") == 0)
    return Flood(std::atol(argv[2]), std::atoi(argv[3]), argv[4]);
  if (argc >= 4 && std::strcmp(argv[1], "subscribe") == 0) return Subscribe(argv[2], argv[3]);
  std::fprintf(stderr, "usage: see the comment at the top of test/tools/fault_client.cpp\n");
  return 2;
}

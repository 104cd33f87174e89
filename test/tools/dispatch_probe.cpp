// Benchmark probe for the dispatch worker: measures commit -> receipt latency of commands at a
// fixed rate, the raw broker round trip as a floor, the drain rate of a large backlog, and the
// drain's baseline: one plain libmosquitto client publishing the same messages at QoS 1.
// Usage: dispatch_probe latency RATE SECONDS | dispatch_probe drain COUNT
//        | dispatch_probe raw COUNT [WINDOW]
// Environment: PG* for libpq, DW_MQTT_PORT for the broker on 127.0.0.1.
#include <libpq-fe.h>
#include <mosquitto.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "pg_client.hpp"

namespace {

using devicewake::tools::ConnectOrExit;
using devicewake::tools::Scalar;

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Receiver {
  std::mutex mutex;
  std::unordered_map<std::string, Clock::time_point> seen;  // marker -> first receipt
  std::atomic<long> count{0};
  std::atomic<long> duplicates{0};
  Clock::time_point last;
};

// Extracts the marker after "image_name" / "send_image" ("lat_123.jpg") from a body.
std::string Marker(const char* payload, int len) {
  std::string body(payload, len);
  auto p = body.find("\"send_image\":\"");
  if (p == std::string::npos) return body;
  p += 14;
  return body.substr(p, body.find('"', p) - p);
}

void OnMessage(struct mosquitto*, void* user, const struct mosquitto_message* msg) {
  auto* r = static_cast<Receiver*>(user);
  auto now = Clock::now();
  std::string marker = Marker(static_cast<const char*>(msg->payload), msg->payloadlen);
  std::lock_guard<std::mutex> lock(r->mutex);
  if (!r->seen.emplace(marker, now).second) {
    ++r->duplicates;
    return;
  }
  r->last = now;
  ++r->count;
}

struct mosquitto* Subscribe(Receiver* r, const char* topic) {
  mosquitto_lib_init();
  struct mosquitto* m = mosquitto_new(nullptr, true, r);
  mosquitto_message_callback_set(m, OnMessage);
  const char* port = std::getenv("DW_MQTT_PORT");
  if (mosquitto_connect(m, "127.0.0.1", port ? std::atoi(port) : 1883, 30) != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "cannot connect to the broker\n");
    std::exit(2);
  }
  mosquitto_subscribe(m, nullptr, topic, 1);
  mosquitto_loop_start(m);  // a thread in this test tool only; never inside PostgreSQL
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  return m;
}

void Exec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
    std::fprintf(stderr, "%s: %s", sql.c_str(), PQerrorMessage(c));
    std::exit(2);
  }
  PQclear(r);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

long RssKb(const std::string& pid, const char* field) {
  std::ifstream in("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  }
  return -1;
}

// Waits until the worker is connected to the broker, so start-up is not measured.
void WaitForWorker(PGconn* c) {
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Scalar(c, "SELECT connected FROM devicewake.worker_status()") != "t" &&
         Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string DeviceId(PGconn* c) {
  WaitForWorker(c);
  Exec(c,
       "INSERT INTO devicewake.devices (device_mac) SELECT 'TEST-BENCH-1' WHERE NOT EXISTS "
       "(SELECT FROM devicewake.devices WHERE device_mac = 'TEST-BENCH-1')");
  return Scalar(c, "SELECT device_id FROM devicewake.devices WHERE device_mac = 'TEST-BENCH-1'");
}

int Latency(int rate, int seconds) {
  Receiver r;
  struct mosquitto* sub = Subscribe(&r, "ESP32CAM/+/cmd");
  PGconn* c = ConnectOrExit();
  std::string device = DeviceId(c);

  // Floor: the same subscriber receiving a message published straight to the broker.
  struct mosquitto* pub = mosquitto_new(nullptr, true, nullptr);
  const char* port = std::getenv("DW_MQTT_PORT");
  mosquitto_connect(pub, "127.0.0.1", port ? std::atoi(port) : 1883, 30);
  mosquitto_loop_start(pub);
  std::vector<double> floor;
  for (int i = 0; i < 200; ++i) {
    std::string marker = "raw_" + std::to_string(i) + ".jpg";
    std::string body = "{\"send_image\":\"" + marker + "\"}";
    auto t0 = Clock::now();
    mosquitto_publish(pub, nullptr, "ESP32CAM/TEST-BENCH-1/cmd", body.size(), body.data(), 1,
                      false);
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(r.mutex);
        auto it = r.seen.find(marker);
        if (it != r.seen.end()) {
          floor.push_back(Ms(it->second - t0));
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  const int total = rate * seconds;
  std::vector<Clock::time_point> committed(total);
  std::vector<Clock::time_point> returned(total);  // the INSERT's commit acknowledged to us
  auto start = Clock::now();
  for (int i = 0; i < total; ++i) {
    auto due = start + std::chrono::microseconds(static_cast<long>(1e6 * i / rate));
    std::this_thread::sleep_until(due);
    committed[i] = Clock::now();  // before the INSERT: the latency includes insert and commit
    Exec(c,
         "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload) VALUES "
         "('" +
             device + "', 'send_image', '{\"image_name\":\"lat_" + std::to_string(i) + ".jpg\"}')");
    returned[i] = Clock::now();
  }
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (r.count.load() < total + 200 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::vector<double> lat, insert_rtt, after_return;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    for (int i = 0; i < total; ++i) {
      insert_rtt.push_back(Ms(returned[i] - committed[i]));
      auto it = r.seen.find("lat_" + std::to_string(i) + ".jpg");
      if (it == r.seen.end()) continue;
      lat.push_back(Ms(it->second - committed[i]));
      // negative when the command arrived before the client heard its commit acknowledged
      after_return.push_back(Ms(it->second - returned[i]));
    }
  }
  std::printf("commands: %d at %d/s for %d s, received %zu\n", total, rate, seconds, lat.size());
  if (std::getenv("DW_PROBE_VERBOSE")) {
    for (std::size_t i = 0; i < lat.size(); ++i) {
      if (lat[i] > 10)
        std::printf("  slow: command %zu at %.0f ms: %.1f ms\n", i, Ms(committed[i] - start),
                    lat[i]);
    }
  }
  std::printf("commit->receipt latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
              Percentile(lat, 0.5), Percentile(lat, 0.99), Percentile(lat, 1.0));
  std::printf("  of which the client's INSERT+COMMIT round trip: p50 %.2f ms, p99 %.2f ms\n",
              Percentile(insert_rtt, 0.5), Percentile(insert_rtt, 0.99));
  std::printf("  receipt after the client saw its commit: p50 %.2f ms, p99 %.2f ms\n",
              Percentile(after_return, 0.5), Percentile(after_return, 0.99));
  std::printf(
      "broker round trip floor (same subscriber, direct publish): p50 %.2f ms, p99 %.2f ms\n",
      Percentile(floor, 0.5), Percentile(floor, 0.99));
  std::printf(
      "ratio p99 / floor p99: %.1fx; old 5 s poller averaged 2500 ms: %.0fx faster at p50\n",
      Percentile(lat, 0.99) / std::max(0.001, Percentile(floor, 0.99)),
      2500.0 / std::max(0.001, Percentile(lat, 0.5)));
  mosquitto_loop_stop(sub, true);
  mosquitto_loop_stop(pub, true);
  PQfinish(c);
  return lat.size() == static_cast<std::size_t>(total) ? 0 : 1;
}

int Drain(int count) {
  Receiver r;
  struct mosquitto* sub = Subscribe(&r, "ESP32CAM/+/cmd");
  PGconn* c = ConnectOrExit();
  std::string device = DeviceId(c);
  std::string worker =
      Scalar(c, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_devicewake worker'");
  long rss_before = RssKb(worker, "VmRSS:");
  Exec(c, "BEGIN");
  Exec(
      c,
      "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload) SELECT '" +
          device +
          "', 'send_image', jsonb_build_object('image_name', 'drain_' || i || '.jpg') FROM "
          "generate_series(1, " +
          std::to_string(count) + ") i");
  auto t0 = Clock::now();
  Exec(c, "COMMIT");
  long peak = rss_before;
  long anon_before = RssKb(worker, "RssAnon:"), anon_peak = anon_before;
  auto deadline = Clock::now() + std::chrono::seconds(120);
  while (r.count.load() < count && Clock::now() < deadline) {
    peak = std::max(peak, RssKb(worker, "VmRSS:"));
    anon_peak = std::max(anon_peak, RssKb(worker, "RssAnon:"));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto received = r.last;
  std::string sent;
  while (Clock::now() < deadline) {
    sent = Scalar(c,
                  "SELECT count(*) FROM devicewake.device_commands WHERE status = 'sent' AND "
                  "command_payload->>'image_name' LIKE 'drain_%'");
    if (std::atol(sent.c_str()) >= count) break;
    peak = std::max(peak, RssKb(worker, "VmRSS:"));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto all_sent = Clock::now();
  std::printf(
      "drain: %d commands in one transaction; received %ld (duplicates %ld), marked sent %s\n",
      count, r.count.load(), r.duplicates.load(), sent.c_str());
  std::printf(
      "all received after %.0f ms: %.0f commands/s; all marked sent after %.0f ms: %.0f "
      "commands/s\n",
      Ms(received - t0), count / (Ms(received - t0) / 1000), Ms(all_sent - t0),
      count / (Ms(all_sent - t0) / 1000));
  std::printf("bench drain_received_per_s=%.0f drain_sent_per_s=%.0f\n",
              count / (Ms(received - t0) / 1000), count / (Ms(all_sent - t0) / 1000));
  std::printf(
      "worker RSS: %ld kB before, peak %ld kB during the drain (VmHWM %ld kB; includes shared "
      "buffers it touched)\n",
      rss_before, peak, RssKb(worker, "VmHWM:"));
  std::printf("worker private memory (RssAnon): %ld kB before, peak %ld kB\n", anon_before,
              anon_peak);
  mosquitto_loop_stop(sub, true);
  PQfinish(c);
  return r.count.load() >= count ? 0 : 1;
}

// The drain's baseline: what one plain libmosquitto client achieves alone. It publishes COUNT
// messages of the drain's shape (topic ESP32CAM/TEST-BENCH-1/cmd, body {"device_id":...,
// "send_image":"rawdr_N.jpg"}, byte for byte as long as the worker's "drain_N.jpg" bodies) at
// QoS 1 to the same broker, read by the same subscriber as the drain. The client is set up as the
// worker's (MQTT 3.1.1, TCP_NODELAY, no libmosquitto in-flight limit) and driven as a sane
// publisher drives it: one thread, poll() on its socket, at most WINDOW messages awaiting their
// PUBACK, refilled as PUBACKs are read. libmosquitto walks its in-flight list on every publish and
// every PUBACK, so a large window costs time per message (bench/dispatch.sh uses 500).
struct Publisher {
  bool connected = false;
  long acked = 0;
  long in_flight = 0;
  Clock::time_point last_ack;
};

void OnPublisherConnect(struct mosquitto*, void* user, int rc) {
  if (rc == 0) static_cast<Publisher*>(user)->connected = true;
}

void OnPublisherPuback(struct mosquitto*, void* user, int) {
  auto* p = static_cast<Publisher*>(user);
  ++p->acked;
  --p->in_flight;
  p->last_ack = Clock::now();
}

int Raw(int count, int window) {
  Receiver r;
  struct mosquitto* sub = Subscribe(&r, "ESP32CAM/+/cmd");
  Publisher p;
  struct mosquitto* pub = mosquitto_new(nullptr, true, &p);
  mosquitto_int_option(pub, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_int_option(pub, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_max_inflight_messages_set(pub, 0);  // the window below is the only limit
  mosquitto_connect_callback_set(pub, OnPublisherConnect);
  mosquitto_publish_callback_set(pub, OnPublisherPuback);
  const char* port = std::getenv("DW_MQTT_PORT");
  if (mosquitto_connect(pub, "127.0.0.1", port ? std::atoi(port) : 1883, 30) != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "cannot connect to the broker\n");
    return 2;
  }
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!p.connected && Clock::now() < deadline) mosquitto_loop(pub, 100, 1);
  if (!p.connected) {
    std::fprintf(stderr, "no CONNACK from the broker\n");
    return 2;
  }

  const std::string topic = "ESP32CAM/TEST-BENCH-1/cmd";
  const int fd = mosquitto_socket(pub);
  int next = 0;
  auto t0 = Clock::now();
  deadline = t0 + std::chrono::seconds(120);
  while (p.acked < count && Clock::now() < deadline) {
    for (; next < count && p.in_flight < window; ++next) {
      std::string body = "{\"device_id\":\"TEST-BENCH-1\",\"send_image\":\"rawdr_" +
                         std::to_string(next + 1) + ".jpg\"}";
      int rc = mosquitto_publish(pub, nullptr, topic.c_str(), static_cast<int>(body.size()),
                                 body.data(), 1, false);
      if (rc != MOSQ_ERR_SUCCESS) {
        std::fprintf(stderr, "publish: %s\n", mosquitto_strerror(rc));
        return 2;
      }
      ++p.in_flight;
    }
    struct pollfd pfd = {fd, static_cast<short>(POLLIN | (mosquitto_want_write(pub) ? POLLOUT : 0)),
                         0};
    if (poll(&pfd, 1, 100) > 0) {
      if (pfd.revents & POLLIN) mosquitto_loop_read(pub, 1);
      if (pfd.revents & POLLOUT) mosquitto_loop_write(pub, 1);
    }
    mosquitto_loop_misc(pub);
  }
  while (r.count.load() < count && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  auto received = r.last;
  std::printf(
      "raw: %d QoS 1 messages from one libmosquitto client, in-flight window %d; received %ld "
      "(duplicates %ld), PUBACKed %ld\n",
      count, window, r.count.load(), r.duplicates.load(), p.acked);
  std::printf(
      "all received after %.0f ms: %.0f messages/s; all PUBACKed after %.0f ms: %.0f "
      "messages/s\n",
      Ms(received - t0), count / (Ms(received - t0) / 1000), Ms(p.last_ack - t0),
      count / (Ms(p.last_ack - t0) / 1000));
  std::printf("bench raw_received_per_s=%.0f raw_acked_per_s=%.0f\n",
              count / (Ms(received - t0) / 1000), count / (Ms(p.last_ack - t0) / 1000));
  mosquitto_disconnect(pub);
  mosquitto_destroy(pub);
  mosquitto_loop_stop(sub, true);
  return r.count.load() >= count && p.acked >= count ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[1], "latency") == 0)
    return Latency(std::atoi(argv[2]), std::atoi(argv[3]));
  if (argc >= 3 && std::strcmp(argv[1], "drain") == 0) return Drain(std::atoi(argv[2]));
  if (argc >= 3 && std::strcmp(argv[1], "raw") == 0)
    return Raw(std::atoi(argv[2]), argc >= 4 ? std::atoi(argv[3]) : 500);
  std::fprintf(stderr,
               "usage: dispatch_probe latency RATE SECONDS | dispatch_probe drain COUNT | "
               "dispatch_probe raw COUNT [WINDOW]\n");
  return 2;
}

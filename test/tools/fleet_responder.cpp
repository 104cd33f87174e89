// fleet_responder: many simulated devices behind one MQTT connection, for campaign tests of
// thousands of devices (camera_sim opens one connection and threads per camera). It subscribes
// {prefix}/+/cmd and answers each command as the firmware does, with
// {"device_id":MAC,"command_ack":"acknowledged","command_id":…} on {prefix}/{MAC}/ack, except for
// the failing devices: those whose MAC ends in a number (its last 10 hex digits) divisible by
// --fail-every take the command and never acknowledge it (a camera whose flash fails and reboots
// into the old firmware). One line on stdout per command: "ACK MAC TYPE" or "DROP MAC TYPE".
// Runs until SIGTERM/SIGINT. A test tool; the extension never does this.
#include <mosquitto.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using Json = nlohmann::json;

volatile std::sig_atomic_t stop = 0;

struct Options {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string prefix = "ESP32CAM";
  long fail_every = 0;  // 0: every device acknowledges
};

Options opt;

// The device's number: the last 10 hex digits of its MAC (how the tests number their fleets).
long DeviceNumber(const std::string& mac) {
  if (mac.size() < 10) return -1;
  return std::strtol(mac.substr(mac.size() - 10).c_str(), nullptr, 16);
}

std::string CommandType(const Json& body) {
  for (const char* key :
       {"firmware_url", "capture_image", "send_image", "reboot", "ping", "next_wake"}) {
    if (body.contains(key))
      return std::string(key == std::string("firmware_url") ? "update_firmware" : key);
  }
  return "update_config";
}

void OnMessage(struct mosquitto* mosq, void*, const struct mosquitto_message* m) {
  std::string topic = m->topic;
  std::string prefix = opt.prefix + "/";
  if (topic.rfind(prefix, 0) != 0 || topic.size() < prefix.size() + 5) return;
  std::string mac = topic.substr(prefix.size(), topic.size() - prefix.size() - 4);
  Json body =
      Json::parse(std::string(static_cast<const char*>(m->payload), m->payloadlen), nullptr, false);
  if (body.is_discarded() || !body.is_object()) return;
  std::string type = CommandType(body);
  long n = DeviceNumber(mac);
  if (opt.fail_every > 0 && n >= 0 && n % opt.fail_every == 0) {
    std::printf("DROP %s %s\n", mac.c_str(), type.c_str());
  } else {
    Json ack = {{"device_id", mac}, {"command_ack", "acknowledged"}};
    if (body.contains("command_id")) ack["command_id"] = body["command_id"];
    std::string text = ack.dump();
    std::string ack_topic = prefix + mac + "/ack";
    mosquitto_publish(mosq, nullptr, ack_topic.c_str(), static_cast<int>(text.size()), text.data(),
                      1, false);
    std::printf("ACK %s %s\n", mac.c_str(), type.c_str());
  }
  std::fflush(stdout);
}

void OnConnect(struct mosquitto* mosq, void*, int rc) {
  if (rc != 0) return;
  std::string sub = opt.prefix + "/+/cmd";
  mosquitto_subscribe(mosq, nullptr, sub.c_str(), 1);
}

void OnSubscribe(struct mosquitto*, void*, int, int, const int*) {
  std::printf("SUBSCRIBED\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* p = std::getenv("DW_MQTT_PORT")) opt.port = std::atoi(p);
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--host")
      opt.host = argv[i + 1];
    else if (a == "--port")
      opt.port = std::atoi(argv[i + 1]);
    else if (a == "--prefix")
      opt.prefix = argv[i + 1];
    else if (a == "--fail-every")
      opt.fail_every = std::atol(argv[i + 1]);
    else {
      std::fprintf(stderr,
                   "usage: fleet_responder [--host H] [--port P] [--prefix P] [--fail-every K]\n");
      return 2;
    }
  }
  std::signal(SIGTERM, [](int) { stop = 1; });
  std::signal(SIGINT, [](int) { stop = 1; });
  mosquitto_lib_init();
  struct mosquitto* mosq = mosquitto_new("fleet_responder", true, nullptr);
  if (mosq == nullptr) return 1;
  mosquitto_connect_callback_set(mosq, OnConnect);
  mosquitto_subscribe_callback_set(mosq, OnSubscribe);
  mosquitto_message_callback_set(mosq, OnMessage);
  if (mosquitto_connect(mosq, opt.host.c_str(), opt.port, 30) != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "fleet_responder: cannot connect to %s:%d\n", opt.host.c_str(), opt.port);
    return 1;
  }
  while (!stop) {
    int rc = mosquitto_loop(mosq, 100, 1);
    if (rc != MOSQ_ERR_SUCCESS && !stop) mosquitto_reconnect(mosq);
  }
  mosquitto_disconnect(mosq);
  mosquitto_destroy(mosq);
  mosquitto_lib_cleanup();
  return 0;
}

// libmosquitto adapter (see client.hpp). Everything runs on the caller's thread.
#include "mqtt/client.hpp"

#include <mosquitto.h>

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

namespace devicewake::mqtt {
namespace {

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

}  // namespace

bool ClientConfig::operator==(const ClientConfig& o) const {
  return host == o.host && port == o.port && client_id == o.client_id && username == o.username &&
         password == o.password && tls_ca_file == o.tls_ca_file &&
         tls_cert_file == o.tls_cert_file && tls_key_file == o.tls_key_file &&
         keepalive_seconds == o.keepalive_seconds && clean_session == o.clean_session;
}

Client::Client(ClientConfig config) : config_(std::move(config)) {
  InitLibraryOnce();
  mosq_ = mosquitto_new(config_.client_id.c_str(), config_.clean_session, this);
  if (mosq_ == nullptr) {
    error_ = "mosquitto_new failed";
    return;
  }
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  // No client-side cap on QoS 1 messages awaiting PUBACK: the owner bounds its in-flight window.
  mosquitto_max_inflight_messages_set(mosq_, 0);
  mosquitto_connect_callback_set(mosq_, &Client::HandleConnect);
  mosquitto_disconnect_callback_set(mosq_, &Client::HandleDisconnect);
  mosquitto_publish_callback_set(mosq_, &Client::HandlePublish);
  mosquitto_message_callback_set(mosq_, &Client::HandleMessage);
}

Client::~Client() {
  if (mosq_ != nullptr) {
    if (connected_) mosquitto_disconnect(mosq_);
    mosquitto_destroy(mosq_);
  }
}

bool Client::Check(int rc, const char* what) {
  if (rc == MOSQ_ERR_SUCCESS) return true;
  error_ = std::string(what) + ": " +
           (rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) + " (system error)"
                                 : std::string(mosquitto_strerror(rc)));
  return false;
}

bool Client::Connect() {
  if (mosq_ == nullptr) return false;
  connected_ = false;
  if (!config_.username.empty() &&
      !Check(
          mosquitto_username_pw_set(mosq_, config_.username.c_str(),
                                    config_.password.empty() ? nullptr : config_.password.c_str()),
          "credentials")) {
    return false;
  }
  if (!config_.tls_ca_file.empty() &&
      !Check(mosquitto_tls_set(
                 mosq_, config_.tls_ca_file.c_str(), nullptr,
                 config_.tls_cert_file.empty() ? nullptr : config_.tls_cert_file.c_str(),
                 config_.tls_key_file.empty() ? nullptr : config_.tls_key_file.c_str(), nullptr),
             "TLS settings")) {
    return false;
  }
  // Non-blocking: the TCP connect may still be in progress when this returns (the CONNECT packet
  // waits in libmosquitto's queue, so WantWrite() is true until the socket takes it). A refused
  // or unreachable broker then shows as a failed OnWritable/OnReadable. Only the host name lookup
  // blocks (use an address, or a local resolver, where that matters).
  return Check(
      mosquitto_connect_async(mosq_, config_.host.c_str(), config_.port, config_.keepalive_seconds),
      "connect");
}

void Client::Disconnect() {
  if (mosq_ != nullptr) mosquitto_disconnect(mosq_);
  connected_ = false;
}

int Client::Socket() const { return mosq_ == nullptr ? -1 : mosquitto_socket(mosq_); }

bool Client::WantWrite() const { return mosq_ != nullptr && mosquitto_want_write(mosq_); }

bool Client::OnReadable() { return Check(mosquitto_loop_read(mosq_, 1), "read"); }

bool Client::OnWritable() { return Check(mosquitto_loop_write(mosq_, 1), "write"); }

bool Client::OnTick() { return Check(mosquitto_loop_misc(mosq_), "keepalive"); }

int Client::Publish(const std::string& topic, const std::string& payload, int qos) {
  int mid = 0;
  if (!Check(mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                               payload.data(), qos, false),
             "publish")) {
    return -1;
  }
  return mid;
}

bool Client::Subscribe(const std::string& pattern, int qos) {
  return Check(mosquitto_subscribe(mosq_, nullptr, pattern.c_str(), qos), "subscribe");
}

bool Client::Unsubscribe(const std::string& pattern) {
  return Check(mosquitto_unsubscribe(mosq_, nullptr, pattern.c_str()), "unsubscribe");
}

std::vector<Event> Client::TakeEvents() {
  std::vector<Event> out;
  out.swap(events_);
  return out;
}

// The callbacks run inside libmosquitto's C frames: nothing may be thrown out of them. An event
// that cannot be queued (out of memory) is dropped: a lost PUBACK ends as a publish timeout and
// the command is published again.
void Client::HandleConnect(struct mosquitto*, void* self, int rc) {
  auto* client = static_cast<Client*>(self);
  client->connected_ = (rc == 0);
  try {
    client->events_.push_back(
        Event{rc == 0 ? Event::Kind::kConnected : Event::Kind::kConnectFailed, rc, {}, {}});
    if (rc != 0)
      client->error_ =
          std::string("broker refused the connection: ") + mosquitto_connack_string(rc);
  } catch (...) {
  }
}

void Client::HandleDisconnect(struct mosquitto*, void* self, int rc) {
  auto* client = static_cast<Client*>(self);
  client->connected_ = false;
  try {
    client->events_.push_back(Event{Event::Kind::kDisconnected, rc, {}, {}});
  } catch (...) {
  }
}

void Client::HandlePublish(struct mosquitto*, void* self, int mid) {
  auto* client = static_cast<Client*>(self);
  try {
    client->events_.push_back(Event{Event::Kind::kPublished, mid, {}, {}});
  } catch (...) {
  }
}

void Client::HandleMessage(struct mosquitto*, void* self, const struct mosquitto_message* msg) {
  auto* client = static_cast<Client*>(self);
  try {
    client->events_.push_back(Event{Event::Kind::kMessage, msg->mid, msg->topic ? msg->topic : "",
                                    std::string(static_cast<const char*>(msg->payload),
                                                static_cast<std::size_t>(msg->payloadlen))});
  } catch (...) {
  }
}

bool DiscardSession(ClientConfig config, int timeout_ms, std::string* error) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  config.clean_session = true;  // CONNECT with a clean session discards the stored one
  Client client(std::move(config));
  if (!client.Connect()) {
    *error = client.error();
    return false;
  }
  while (!client.connected()) {
    if (Clock::now() >= deadline) {
      *error = "no CONNACK within " + std::to_string(timeout_ms) + " ms";
      return false;
    }
    struct pollfd p = {client.Socket(),
                       static_cast<short>(POLLIN | (client.WantWrite() ? POLLOUT : 0)), 0};
    if (p.fd < 0 || poll(&p, 1, 20) < 0) {
      *error = "connection lost";
      return false;
    }
    bool ok = true;
    if (p.revents & POLLOUT) ok = client.OnWritable();
    if (ok && (p.revents & (POLLIN | POLLHUP | POLLERR))) ok = client.OnReadable();
    if (ok) ok = client.OnTick();
    if (!ok || !client.error().empty()) {  // (a refusal sets the error in the CONNACK callback)
      *error = client.error();
      return false;
    }
  }
  client.Disconnect();  // the session ends with the connection either way
  return true;
}

}  // namespace devicewake::mqtt

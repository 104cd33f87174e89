// The libmosquitto adapter: one MQTT connection driven by its owner's event loop. No thread is
// ever started (never mosquitto_loop_start): the owner waits on Socket() and calls
// OnReadable/OnWritable/OnTick, and callbacks only queue events for the owner to drain.
#pragma once
#include "core/cpp_only.hpp"

#include <cstdint>
#include <string>
#include <vector>

struct mosquitto;
struct mosquitto_message;

namespace devicewake::mqtt {

struct ClientConfig {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id = "pg_devicewake";
  std::string username;  // empty: anonymous
  std::string password;
  std::string tls_ca_file;  // non-empty: TLS on
  std::string tls_cert_file;
  std::string tls_key_file;
  int keepalive_seconds = 60;
  bool clean_session = false;  // persistent session: the broker keeps subscriptions and QoS 1 state
  bool operator==(const ClientConfig& other) const;
  bool operator!=(const ClientConfig& other) const { return !(*this == other); }
};

// What happened on the connection since the owner last drained events.
struct Event {
  enum class Kind { kConnected, kConnectFailed, kDisconnected, kPublished, kMessage };
  Kind kind;
  int code = 0;         // CONNACK / disconnect reason; message id for kPublished
  std::string topic;    // kMessage
  std::string payload;  // kMessage (bytes)
};

class Client {
 public:
  explicit Client(ClientConfig config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts a connection attempt without blocking on the network (mosquitto_connect_async: TCP
  // connect in progress, CONNECT queued). Returns false with error() set when it could not even
  // start; success is reported later by a kConnected event, failure by a failed OnReadable or
  // OnWritable.
  bool Connect();
  void Disconnect();

  // -1 when there is no socket.
  int Socket() const;
  bool WantWrite() const;
  bool connected() const { return connected_; }

  // Drive the protocol; each returns false (and sets error()) when the connection broke.
  bool OnReadable();
  bool OnWritable();
  bool OnTick();  // keepalive and retries: call at least once a second

  // Publishes at QoS 1, not retained. Returns the message id (> 0) or -1 with error() set.
  int Publish(const std::string& topic, const std::string& payload, int qos = 1);
  bool Subscribe(const std::string& pattern, int qos = 1);
  // Drops a subscription of the session (a filter it does not have is no error at the broker).
  bool Unsubscribe(const std::string& pattern);

  std::vector<Event> TakeEvents();
  // Events queued since the last TakeEvents (the owner bounds how far it reads ahead).
  std::size_t queued_events() const { return events_.size(); }
  const std::string& error() const { return error_; }
  const ClientConfig& config() const { return config_; }

 private:
  static void HandleConnect(struct mosquitto*, void* self, int rc);
  static void HandleDisconnect(struct mosquitto*, void* self, int rc);
  static void HandlePublish(struct mosquitto*, void* self, int mid);
  static void HandleMessage(struct mosquitto*, void* self, const struct mosquitto_message* msg);
  bool Check(int rc, const char* what);

  ClientConfig config_;
  struct mosquitto* mosq_ = nullptr;
  bool connected_ = false;
  std::vector<Event> events_;
  std::string error_;
};

// Makes the broker forget the persistent session of config.client_id (its subscriptions and
// queued messages): connects under that id with a clean session and disconnects. Blocks for at
// most timeout_ms (host name lookup aside). Returns false with *error set when the broker could
// not be reached or refused. Used for the client ids of workers no longer configured: the broker
// would otherwise keep queuing messages for them.
bool DiscardSession(ClientConfig config, int timeout_ms, std::string* error);

}  // namespace devicewake::mqtt

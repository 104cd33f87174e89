// The worker's loopback libpq connection that LISTENs on devicewake_commands. A background
// worker cannot LISTEN itself; this connection's socket sits in the worker's wait set, so a
// commit that NOTIFYs wakes the worker at once (the way pg_cron watches its job connections).
// Pure libpq: it never calls the backend, and never raises.
#pragma once

#include <string>

struct pg_conn;

namespace devicewake::pg {

class ListenConnection {
 public:
  ListenConnection() = default;
  ~ListenConnection();
  ListenConnection(const ListenConnection&) = delete;
  ListenConnection& operator=(const ListenConnection&) = delete;

  // Connects with the given conninfo and runs LISTEN channel. False with error() on failure.
  bool Open(const std::string& conninfo, const std::string& channel);
  void Close();
  bool is_open() const { return conn_ != nullptr; }
  int Socket() const;
  // Reads what arrived; returns the number of notifications, or -1 when the connection broke.
  int Drain();
  const std::string& error() const { return error_; }

 private:
  struct pg_conn* conn_ = nullptr;
  std::string error_;
};

}  // namespace devicewake::pg

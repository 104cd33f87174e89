// Loopback LISTEN connection (see listen_connection.hpp). Includes only libpq.
#include "pg/listen_connection.hpp"

#include <libpq-fe.h>

namespace devicewake::pg {

ListenConnection::~ListenConnection() { Close(); }

bool ListenConnection::Open(const std::string& conninfo, const std::string& channel) {
  Close();
  conn_ = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    error_ = std::string("LISTEN connection failed: ") + PQerrorMessage(conn_);
    Close();
    return false;
  }
  std::string sql = "LISTEN " + channel;
  PGresult* result = PQexec(conn_, sql.c_str());
  bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  if (!ok) error_ = std::string("LISTEN failed: ") + PQerrorMessage(conn_);
  PQclear(result);
  if (!ok) {
    Close();
    return false;
  }
  PQsetnonblocking(conn_, 1);
  return true;
}

void ListenConnection::Close() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

int ListenConnection::Socket() const { return conn_ == nullptr ? -1 : PQsocket(conn_); }

int ListenConnection::Drain() {
  if (conn_ == nullptr) return -1;
  if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
    error_ = std::string("LISTEN connection lost: ") + PQerrorMessage(conn_);
    Close();
    return -1;
  }
  int count = 0;
  while (PGnotify* notify = PQnotifies(conn_)) {
    ++count;
    PQfreemem(notify);
  }
  return count;
}

}  // namespace devicewake::pg

// The old design's sweep, for bench/sweep.sh: a client that fetches the stale images and then makes
// one round trip per image to a per-image timeout function, as the edge function did over HTTP.
// Usage: sweep_client CONNINFO PER_IMAGE_FUNCTION. Runs in one transaction it rolls back (so the
// bench can repeat it on the same data); prints "<images> <milliseconds>".
#include <postgresql/libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {

bool Ok(PGconn* conn, PGresult* result, const char* what) {
  ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return true;
  std::fprintf(stderr, "sweep_client: %s: %s", what, PQerrorMessage(conn));
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: sweep_client CONNINFO PER_IMAGE_FUNCTION\n");
    return 2;
  }
  PGconn* conn = PQconnectdb(argv[1]);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::fprintf(stderr, "sweep_client: %s", PQerrorMessage(conn));
    return 1;
  }
  PGresult* r = PQexec(conn, "BEGIN");
  if (!Ok(conn, r, "BEGIN")) return 1;
  PQclear(r);
  const std::string call = std::string("SELECT ") + argv[2] + "($1::uuid)";
  r = PQprepare(conn, "timeout_image", call.c_str(), 1, nullptr);
  if (!Ok(conn, r, "prepare")) return 1;
  PQclear(r);

  auto start = std::chrono::steady_clock::now();
  r = PQexec(conn,
             "SELECT i.image_id FROM devicewake.device_images i"
             " JOIN devicewake.devices d ON d.device_id = i.device_id"
             " WHERE i.status = 'receiving' AND d.next_wake_at <= now()");
  if (!Ok(conn, r, "fetch")) return 1;
  std::vector<std::string> ids;
  for (int row = 0; row < PQntuples(r); ++row) ids.emplace_back(PQgetvalue(r, row, 0));
  PQclear(r);
  for (const std::string& id : ids) {
    const char* params[1] = {id.c_str()};
    r = PQexecPrepared(conn, "timeout_image", 1, params, nullptr, nullptr, 0);
    if (!Ok(conn, r, "timeout_image")) return 1;
    PQclear(r);
  }
  r = PQexec(conn,
             "UPDATE devicewake.device_commands SET status = 'expired', claimed_at = NULL,"
             " error_message = 'expired before delivery (expires_at passed)'"
             " WHERE status IN ('pending', 'sent') AND expires_at <= now()");
  if (!Ok(conn, r, "expire")) return 1;
  PQclear(r);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  r = PQexec(conn, "ROLLBACK");
  PQclear(r);
  PQfinish(conn);
  std::printf("%zu %.1f\n", ids.size(), ms);
  return 0;
}

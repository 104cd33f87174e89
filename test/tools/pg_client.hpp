// libpq helpers shared by the test tools: a connection from the PG* environment the test scripts
// export, and single-value queries.
#pragma once

#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace devicewake::tools {

// Connects with the PG* environment variables; exits with status 2 if it cannot.
inline PGconn* ConnectOrExit() {
  PGconn* c = PQconnectdb("");
  if (PQstatus(c) != CONNECTION_OK) {
    std::fprintf(stderr, "%s", PQerrorMessage(c));
    std::exit(2);
  }
  return c;
}

// The first column of the first row, or "" when the query failed or returned no row.
inline std::string Scalar(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  std::string v =
      PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
  PQclear(r);
  return v;
}

}  // namespace devicewake::tools

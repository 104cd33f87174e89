// The worker's state in shared memory, read by devicewake.worker_status() from any backend:
// connection state, broker, counters (atomics) and the last error (under a spinlock).
#pragma once

#include <string_view>

#include "pg/postgres_headers.hpp"

extern "C" {
#include "port/atomics.h"
#include "storage/spin.h"
}

namespace devicewake::pg {

struct WorkerCounters {
  pg_atomic_uint64 published;     // PUBLISH sent to the broker
  pg_atomic_uint64 delivered;     // PUBACK received: command marked sent
  pg_atomic_uint64 acknowledged;  // device acknowledgements applied
  pg_atomic_uint64 failed;        // commands that reached failed
  pg_atomic_uint64 expired;       // commands expired before delivery
  pg_atomic_uint64 republished;   // publishes of a command published before (at-least-once)
  pg_atomic_uint64 ingested;      // inbound messages applied
  pg_atomic_uint64 rejected;      // inbound messages recorded in rejected_messages
};

struct WorkerState {
  slock_t mutex;  // guards everything below that is not atomic
  int pid;
  bool connected;
  char broker[256];
  TimestampTz since;  // connected or disconnected since
  char last_error[512];
  TimestampTz last_error_at;
  WorkerCounters counters;
};

// Requests the shared memory (from _PG_init, under shared_preload_libraries).
void RequestWorkerState();
// The shared state; NULL when the library was not preloaded.
WorkerState* SharedWorkerState();

// Updates made by the worker. Never raise.
void SetWorkerConnection(int pid, bool connected, std::string_view broker);
void SetWorkerError(std::string_view message);

}  // namespace devicewake::pg

// The workers' state in shared memory, one slot per worker (devicewake.workers), read by
// devicewake.worker_status() from any backend: connection state, broker, counters (atomics), the
// last error (under a spinlock), and the latch a committing backend sets to wake the worker that
// owns a device (commit_wake.hpp).
#pragma once

#include <string_view>
#include <type_traits>

#include "pg/postgres_headers.hpp"

extern "C" {
#include "port/atomics.h"
#include "storage/spin.h"
}

namespace devicewake::pg {

struct WorkerCounters {
  pg_atomic_uint64 published;       // PUBLISH sent to the broker
  pg_atomic_uint64 delivered;       // PUBACK received: command marked sent
  pg_atomic_uint64 acknowledged;    // device acknowledgements applied
  pg_atomic_uint64 failed;          // commands that reached failed
  pg_atomic_uint64 expired;         // commands expired before delivery
  pg_atomic_uint64 republished;     // publishes of a command published before (at-least-once)
  pg_atomic_uint64 ingested;        // inbound messages applied
  pg_atomic_uint64 rejected;        // inbound messages recorded in rejected_messages
  pg_atomic_uint64 commit_wakeups;  // latch sets by committing backends (coalesced: see below)
  pg_atomic_uint64 dispatch_scans;  // claim rounds the worker ran (bounded per second)
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
  // Commit-time wake-up (pg_net's way). latch_owner is the worker's pgprocno + 1 (0: no worker);
  // wake_requested is set by the first commit that enqueued work since the worker last took it,
  // and only that commit sets the latch: a flood of commits costs one latch set per turn of the
  // worker's loop, not one per commit.
  pg_atomic_uint32 latch_owner;
  pg_atomic_uint32 wake_requested;
};

// Shared memory is raw bytes copied and zeroed with memcpy/memset: nothing in it may need a
// constructor or destructor.
static_assert(std::is_trivially_copyable_v<WorkerCounters>);
static_assert(std::is_trivially_copyable_v<WorkerState>);

// Requests the shared memory (from _PG_init, under shared_preload_libraries, after the settings
// are defined: one slot per devicewake.workers).
void RequestWorkerState();
// Called once by a worker at start, before anything below: which slot is its own.
void SetWorkerIndex(int index);
// This worker's slot; NULL when the library was not preloaded.
WorkerState* SharedWorkerState();
// How many slots there are (devicewake.workers at server start; 0 when not preloaded), and one.
int WorkerSlots();
WorkerState* WorkerStateAt(int index);

// The worker that owns a device: abs(hash of its device_id mod workers), the same number as the
// SQL `pg_catalog.abs(pg_catalog.uuid_hash(device_id) % workers)` the worker's claims filter on
// (command_store.cpp). Never raises (uuid_hash only hashes 16 bytes).
int DeviceOwner(const unsigned char* uuid_bytes, int workers);

// Updates made by the worker. Never raise.
void SetWorkerConnection(int pid, bool connected, std::string_view broker);
void SetWorkerError(std::string_view message);
void ClearWorkerError();

// The worker publishes its latch (at start) and withdraws it (at exit). Never raise.
void PublishWorkerLatch(int pgprocno);
void WithdrawWorkerLatch();
// Called by the worker after ResetLatch: true when a commit asked for a scan since the last call.
bool TakeWakeRequest();
// Sets the latch of each worker whose bit is set in `workers` (bit k: worker k; kAllWorkers:
// every one) unless a wake-up is already pending for it. Safe in a transaction callback: never
// raises, never allocates.
inline constexpr uint32 kAllWorkers = 0xffffffffu;
void RequestWorkerWake(uint32 workers);

}  // namespace devicewake::pg

// Shared memory of the worker and devicewake.worker_status() (see worker_state.hpp).
#include "pg/worker_state.hpp"

#include <cstring>

#include "pg/guard.hpp"

extern "C" {
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
}

namespace devicewake::pg {
namespace {

WorkerState* state = nullptr;
shmem_request_hook_type previous_request_hook = nullptr;
shmem_startup_hook_type previous_startup_hook = nullptr;

void RequestHook() {
  if (previous_request_hook) previous_request_hook();
  RequestAddinShmemSpace(MAXALIGN(sizeof(WorkerState)));
}

void StartupHook() {
  if (previous_startup_hook) previous_startup_hook();
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  bool found = false;
  state = static_cast<WorkerState*>(
      ShmemInitStruct("pg_devicewake worker", sizeof(WorkerState), &found));
  if (!found) {
    memset(state, 0, sizeof(WorkerState));
    SpinLockInit(&state->mutex);
    pg_atomic_init_u64(&state->counters.published, 0);
    pg_atomic_init_u64(&state->counters.delivered, 0);
    pg_atomic_init_u64(&state->counters.acknowledged, 0);
    pg_atomic_init_u64(&state->counters.failed, 0);
    pg_atomic_init_u64(&state->counters.expired, 0);
    pg_atomic_init_u64(&state->counters.republished, 0);
    pg_atomic_init_u64(&state->counters.ingested, 0);
    pg_atomic_init_u64(&state->counters.rejected, 0);
    pg_atomic_init_u64(&state->counters.commit_wakeups, 0);
    pg_atomic_init_u64(&state->counters.dispatch_scans, 0);
    pg_atomic_init_u32(&state->latch_owner, 0);
    pg_atomic_init_u32(&state->wake_requested, 1);  // the first worker scans at once
  }
  LWLockRelease(AddinShmemInitLock);
}

void CopyBounded(char* destination, std::size_t size, std::string_view text) {
  std::size_t n = text.size() < size - 1 ? text.size() : size - 1;
  memcpy(destination, text.data(), n);
  destination[n] = '\0';
}

}  // namespace

void RequestWorkerState() {
  previous_request_hook = shmem_request_hook;
  shmem_request_hook = RequestHook;
  previous_startup_hook = shmem_startup_hook;
  shmem_startup_hook = StartupHook;
}

WorkerState* SharedWorkerState() { return state; }

void SetWorkerConnection(int pid, bool connected, std::string_view broker) {
  if (state == nullptr) return;
  TimestampTz now = GetCurrentTimestamp();
  SpinLockAcquire(&state->mutex);
  state->pid = pid;
  if (state->connected != connected || state->since == 0) state->since = now;
  state->connected = connected;
  CopyBounded(state->broker, sizeof state->broker, broker);
  SpinLockRelease(&state->mutex);
}

void SetWorkerError(std::string_view message) {
  if (state == nullptr) return;
  TimestampTz now = GetCurrentTimestamp();
  SpinLockAcquire(&state->mutex);
  CopyBounded(state->last_error, sizeof state->last_error, message);
  state->last_error_at = now;
  SpinLockRelease(&state->mutex);
}

void ClearWorkerError() {
  if (state == nullptr) return;
  SpinLockAcquire(&state->mutex);
  state->last_error[0] = '\0';
  state->last_error_at = 0;
  SpinLockRelease(&state->mutex);
}

void PublishWorkerLatch(int pgprocno) {
  if (state == nullptr) return;
  pg_atomic_write_u32(&state->latch_owner, static_cast<uint32>(pgprocno) + 1);
  pg_atomic_write_u32(&state->wake_requested, 1);  // commits made while no worker was running
}

void WithdrawWorkerLatch() {
  if (state == nullptr) return;
  pg_atomic_write_u32(&state->latch_owner, 0);
}

bool TakeWakeRequest() {
  if (state == nullptr) return false;
  return pg_atomic_exchange_u32(&state->wake_requested, 0) != 0;  // a full barrier
}

void RequestWorkerWake() {
  if (state == nullptr) return;
  // Only the commit that turns the flag on sets the latch; the worker clears it after its own
  // ResetLatch, so a commit after that always finds it off and wakes the worker again.
  if (pg_atomic_exchange_u32(&state->wake_requested, 1) != 0) return;
  uint32 owner = pg_atomic_read_u32(&state->latch_owner);
  if (owner == 0 || owner > ProcGlobal->allProcCount) return;
  pg_atomic_add_fetch_u64(&state->counters.commit_wakeups, 1);
  // A pgprocno left by a worker that just exited may belong to another process by now: a
  // latch set it did not expect is a spurious wake-up, which every latch user tolerates.
  SetLatch(&ProcGlobal->allProcs[owner - 1].procLatch);
}

}  // namespace devicewake::pg

using devicewake::pg::SqlError;
using devicewake::pg::WorkerState;

// devicewake.worker_status() RETURNS TABLE(...): one row read from shared memory.
DW_SQL_FUNCTION(devicewake_worker_status) {
  WorkerState* shared = devicewake::pg::SharedWorkerState();
  if (shared == nullptr) {
    throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                   "pg_devicewake must be loaded via shared_preload_libraries");
  }
  WorkerState copy;
  SpinLockAcquire(&shared->mutex);
  copy.pid = shared->pid;
  copy.connected = shared->connected;
  memcpy(copy.broker, shared->broker, sizeof copy.broker);
  copy.since = shared->since;
  memcpy(copy.last_error, shared->last_error, sizeof copy.last_error);
  copy.last_error_at = shared->last_error_at;
  SpinLockRelease(&shared->mutex);
  return devicewake::pg::PgCall([&]() {
    TupleDesc tupdesc;
    if (get_call_result_type(fcinfo, nullptr, &tupdesc) != TYPEFUNC_COMPOSITE) {
      elog(ERROR, "worker_status must return a composite type");
    }
    tupdesc = BlessTupleDesc(tupdesc);
    Datum values[16];
    bool nulls[16] = {false};
    devicewake::pg::WorkerCounters& c = shared->counters;
    auto Count = [](pg_atomic_uint64& counter) {
      return Int64GetDatum(static_cast<int64>(pg_atomic_read_u64(&counter)));
    };
    bool running = copy.pid != 0;
    values[0] = Int32GetDatum(copy.pid);
    nulls[0] = !running;
    values[1] = BoolGetDatum(copy.connected);
    values[2] = CStringGetTextDatum(copy.broker);
    nulls[2] = copy.broker[0] == '\0';
    values[3] = TimestampTzGetDatum(copy.since);
    nulls[3] = copy.since == 0;
    values[4] = Count(c.published);
    values[5] = Count(c.delivered);
    values[6] = Count(c.acknowledged);
    values[7] = Count(c.failed);
    values[8] = Count(c.expired);
    values[9] = Count(c.republished);
    values[10] = Count(c.ingested);
    values[11] = Count(c.rejected);
    values[12] = CStringGetTextDatum(copy.last_error);
    nulls[12] = copy.last_error[0] == '\0';
    values[13] = TimestampTzGetDatum(copy.last_error_at);
    nulls[13] = copy.last_error_at == 0;
    values[14] = Count(c.commit_wakeups);
    values[15] = Count(c.dispatch_scans);
    // heap_form_tuple reads tupdesc->natts values: 1.0's 14-column declaration still works
    return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
  });
}

// Shared memory of the worker and devicewake.worker_status() (see worker_state.hpp).
#include "pg/worker_state.hpp"

#include <cstring>

#include "pg/guard.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/uuid.h"
}

namespace devicewake::pg {
namespace {

WorkerState* slots = nullptr;  // devicewake.workers of them, in one shared array
int slot_count = 0;
int my_index = 0;  // a worker's own slot (SetWorkerIndex); backends only read
shmem_request_hook_type previous_request_hook = nullptr;
shmem_startup_hook_type previous_startup_hook = nullptr;

std::size_t SharedSize() { return mul_size(sizeof(WorkerState), settings::workers); }

void RequestHook() {
  if (previous_request_hook) previous_request_hook();
  RequestAddinShmemSpace(MAXALIGN(SharedSize()));
}

void StartupHook() {
  if (previous_startup_hook) previous_startup_hook();
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  bool found = false;
  slots = static_cast<WorkerState*>(ShmemInitStruct("pg_devicewake workers", SharedSize(), &found));
  slot_count = settings::workers;
  if (!found) {
    memset(slots, 0, SharedSize());
    for (int i = 0; i < slot_count; ++i) {
      WorkerState* state = &slots[i];
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
      pg_atomic_init_u32(&state->wake_requested, 1);  // each worker scans at once
    }
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

void SetWorkerIndex(int index) { my_index = index; }

WorkerState* SharedWorkerState() {
  return slots == nullptr || my_index >= slot_count ? nullptr : &slots[my_index];
}

int WorkerSlots() { return slots == nullptr ? 0 : slot_count; }

WorkerState* WorkerStateAt(int index) {
  return slots == nullptr || index < 0 || index >= slot_count ? nullptr : &slots[index];
}

int DeviceOwner(const unsigned char* uuid_bytes, int workers) {
  if (workers <= 1) return 0;
  pg_uuid_t id;
  memcpy(id.data, uuid_bytes, UUID_LEN);
  int32 hash = DatumGetInt32(DirectFunctionCall1(uuid_hash, UUIDPGetDatum(&id)));
  int owner = hash % workers;  // truncated toward zero, as SQL's integer %
  return owner < 0 ? -owner : owner;
}

void SetWorkerConnection(int pid, bool connected, std::string_view broker) {
  WorkerState* state = SharedWorkerState();
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
  WorkerState* state = SharedWorkerState();
  if (state == nullptr) return;
  TimestampTz now = GetCurrentTimestamp();
  SpinLockAcquire(&state->mutex);
  CopyBounded(state->last_error, sizeof state->last_error, message);
  state->last_error_at = now;
  SpinLockRelease(&state->mutex);
}

void ClearWorkerError() {
  WorkerState* state = SharedWorkerState();
  if (state == nullptr) return;
  SpinLockAcquire(&state->mutex);
  state->last_error[0] = '\0';
  state->last_error_at = 0;
  SpinLockRelease(&state->mutex);
}

void PublishWorkerLatch(int pgprocno) {
  WorkerState* state = SharedWorkerState();
  if (state == nullptr) return;
  pg_atomic_write_u32(&state->latch_owner, static_cast<uint32>(pgprocno) + 1);
  pg_atomic_write_u32(&state->wake_requested, 1);  // commits made while no worker was running
}

void WithdrawWorkerLatch() {
  WorkerState* state = SharedWorkerState();
  if (state == nullptr) return;
  pg_atomic_write_u32(&state->latch_owner, 0);
}

bool TakeWakeRequest() {
  WorkerState* state = SharedWorkerState();
  if (state == nullptr) return false;
  return pg_atomic_exchange_u32(&state->wake_requested, 0) != 0;  // a full barrier
}

void RequestWorkerWake(uint32 workers) {
  for (int i = 0; i < slot_count && slots != nullptr; ++i) {
    if ((workers & (1u << i)) == 0) continue;
    WorkerState* state = &slots[i];
    // Only the commit that turns the flag on sets the latch; the worker clears it after its own
    // ResetLatch, so a commit after that always finds it off and wakes the worker again.
    if (pg_atomic_exchange_u32(&state->wake_requested, 1) != 0) continue;
    uint32 owner = pg_atomic_read_u32(&state->latch_owner);
    if (owner == 0 || owner > ProcGlobal->allProcCount) continue;
    pg_atomic_add_fetch_u64(&state->counters.commit_wakeups, 1);
    // A pgprocno left by a worker that just exited may belong to another process by now: a
    // latch set it did not expect is a spurious wake-up, which every latch user tolerates.
    SetLatch(&ProcGlobal->allProcs[owner - 1].procLatch);
  }
}

}  // namespace devicewake::pg

using devicewake::pg::SqlError;
using devicewake::pg::WorkerState;

namespace {

// One worker's row of _worker_state(), read from its slot: the text fields copied under the
// spinlock, the counters read as they are. The last column (the worker's index) exists only in
// 1.1's declaration; heap_form_tuple and tuplestore_putvalues read tupdesc->natts values, so
// 1.0's 14-column declaration still works.
constexpr int kColumns = 17;

void WorkerRow(WorkerState* shared, int index, Datum* values, bool* nulls) {
  WorkerState copy;
  SpinLockAcquire(&shared->mutex);
  copy.pid = shared->pid;
  copy.connected = shared->connected;
  memcpy(copy.broker, shared->broker, sizeof copy.broker);
  copy.since = shared->since;
  memcpy(copy.last_error, shared->last_error, sizeof copy.last_error);
  copy.last_error_at = shared->last_error_at;
  SpinLockRelease(&shared->mutex);
  devicewake::pg::WorkerCounters& c = shared->counters;
  auto Count = [](pg_atomic_uint64& counter) {
    return Int64GetDatum(static_cast<int64>(pg_atomic_read_u64(&counter)));
  };
  for (int i = 0; i < kColumns; ++i) nulls[i] = false;
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
  values[16] = Int32GetDatum(index);
}

}  // namespace

// devicewake._worker_state() RETURNS TABLE(...): one row per worker (devicewake.workers), read
// from shared memory. Under 1.0's declaration (worker_status(), not a set, until ALTER EXTENSION
// UPDATE) it returns worker 0's row alone.
DW_SQL_FUNCTION(devicewake_worker_status) {
  if (devicewake::pg::WorkerSlots() == 0) {
    throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                   "pg_devicewake must be loaded via shared_preload_libraries");
  }
  return devicewake::pg::PgCall([&]() {
    Datum values[kColumns];
    bool nulls[kColumns];
    if (!get_func_retset(fcinfo->flinfo->fn_oid)) {
      TupleDesc tupdesc;
      if (get_call_result_type(fcinfo, nullptr, &tupdesc) != TYPEFUNC_COMPOSITE) {
        elog(ERROR, "worker_status must return a composite type");
      }
      tupdesc = BlessTupleDesc(tupdesc);
      WorkerRow(devicewake::pg::WorkerStateAt(0), 0, values, nulls);
      return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
    }
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    for (int i = 0; i < devicewake::pg::WorkerSlots(); ++i) {
      WorkerRow(devicewake::pg::WorkerStateAt(i), i, values, nulls);
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return static_cast<Datum>(0);
  });
}

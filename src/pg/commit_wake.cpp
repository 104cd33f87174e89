// The worker's wake-up at commit (pg_net's way): the enqueue path's trigger asks for a wake-up of
// the worker owning the row's device, and when that transaction commits, a transaction callback
// sets those workers' latches through shared memory. No connection to the worker is needed, so any
// pg_hba.conf works, and no NOTIFY is on the commit path, so a two-phase commit (Citus) can PREPARE
// it.
#include "pg/commit_wake.hpp"

#include "pg/guard.hpp"
#include "pg/settings.hpp"
#include "pg/worker_state.hpp"

extern "C" {
#include "access/htup_details.h"
#include "commands/trigger.h"
#include "utils/uuid.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
}

namespace {

constexpr uint32 kAllBits = devicewake::pg::kAllWorkers;
bool callback_registered = false;  // once per backend: callbacks are never unregistered
uint32 wake_at_commit = 0;         // the workers (bit k: worker k) this transaction has work for
ProcessUtility_hook_type previous_process_utility = nullptr;

// Runs inside CommitTransaction/AbortTransaction: must not raise, allocate or call SQL.
// XACT_EVENT_COMMIT comes after the commit is visible to new snapshots, so the worker's claim
// that the latch starts sees the rows. At PREPARE nothing is set: the prepared transaction's
// rows are not visible until COMMIT PREPARED, possibly in another session, whose own commit
// wakes the worker (CommitPreparedHook).
void OnTransactionEvent(XactEvent event, void* arg) {
  switch (event) {
    case XACT_EVENT_COMMIT:
    case XACT_EVENT_PARALLEL_COMMIT:
      if (wake_at_commit != 0) devicewake::pg::RequestWorkerWake(wake_at_commit);
      wake_at_commit = 0;
      break;
    case XACT_EVENT_PREPARE:
    case XACT_EVENT_ABORT:
    case XACT_EVENT_PARALLEL_ABORT:
      wake_at_commit = 0;
      break;
    default:
      break;
  }
}

// Marks this transaction as one that enqueued work for the given workers (bit k: worker k).
// Plain C calls only: RegisterXactCallback pallocs in TopMemoryContext (once) and raises only
// when out of memory, so callers run it in a frame without C++ objects (the hook below) or under
// PgCall (the trigger).
void WakeWorkerAtCommit(uint32 workers) {
  if (!callback_registered) {
    RegisterXactCallback(OnTransactionEvent, nullptr);
    callback_registered = true;
  }
  wake_at_commit |= workers;
}

// The worker owning the row's device (its device_id column), as a bit; every worker when the row
// has none. One worker: always worker 0, nothing is read.
uint32 OwnerOf(TriggerData* trigger) {
  int workers = devicewake::pg::settings::workers;
  if (workers <= 1) return 1u;
  HeapTuple row =
      TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) ? trigger->tg_newtuple : trigger->tg_trigtuple;
  TupleDesc desc = trigger->tg_relation->rd_att;
  int column = SPI_fnumber(desc, "device_id");
  if (column <= 0 || TupleDescAttr(desc, column - 1)->atttypid != UUIDOID) return kAllBits;
  bool is_null = true;
  Datum id = heap_getattr(row, column, desc, &is_null);
  if (is_null) return kAllBits;
  return 1u << devicewake::pg::DeviceOwner(DatumGetUUIDP(id)->data, workers);
}

// COMMIT PREPARED makes a prepared transaction's rows visible when the statement's own
// transaction commits, in whichever session runs it: wake the worker then (one needless scan when
// the prepared transaction enqueued nothing; COMMIT PREPARED is rare). No C++ object is alive in
// this frame: the hooks below may raise.
void CommitPreparedHook(PlannedStmt* pstmt, const char* query_string, bool read_only_tree,
                        ProcessUtilityContext context, ParamListInfo params,
                        QueryEnvironment* query_env, DestReceiver* dest, QueryCompletion* qc) {
  Node* statement = pstmt->utilityStmt;
  if (statement != nullptr && IsA(statement, TransactionStmt) &&
      castNode(TransactionStmt, statement)->kind == TRANS_STMT_COMMIT_PREPARED) {
    WakeWorkerAtCommit(kAllBits);  // which devices it enqueued for is not known here
  }
  if (previous_process_utility != nullptr) {
    previous_process_utility(pstmt, query_string, read_only_tree, context, params, query_env, dest,
                             qc);
  } else {
    standard_ProcessUtility(pstmt, query_string, read_only_tree, context, params, query_env, dest,
                            qc);
  }
}

}  // namespace

namespace devicewake::pg {

void InstallCommitPreparedHook() {
  previous_process_utility = ProcessUtility_hook;
  ProcessUtility_hook = CommitPreparedHook;
}

}  // namespace devicewake::pg

// devicewake._wake_worker_at_commit() RETURNS trigger: the AFTER trigger of the enqueue path
// (device_commands inserted or made pending again, a wake session opened).
DW_SQL_FUNCTION(devicewake_wake_worker_trigger) {
  if (!CALLED_AS_TRIGGER(fcinfo)) {
    throw devicewake::pg::SqlError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                                   "_wake_worker_at_commit() must be called as a trigger");
  }
  TriggerData* trigger = reinterpret_cast<TriggerData*>(fcinfo->context);
  devicewake::pg::PgCall([&]() { WakeWorkerAtCommit(OwnerOf(trigger)); });
  return PointerGetDatum(nullptr);  // AFTER trigger: the result is ignored
}

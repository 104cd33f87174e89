// The worker's wake-up at commit (pg_net's way): the enqueue path's trigger asks for a wake-up,
// and when that transaction commits, a transaction callback sets the worker's latch through
// shared memory. No connection to the worker is needed, so any pg_hba.conf works, and no NOTIFY
// is on the commit path, so a two-phase commit (Citus) can PREPARE it.
#include "pg/commit_wake.hpp"

#include "pg/guard.hpp"
#include "pg/worker_state.hpp"

extern "C" {
#include "commands/trigger.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
}

namespace {

bool callback_registered = false;  // once per backend: callbacks are never unregistered
bool wake_at_commit = false;       // this transaction enqueued work
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
      if (wake_at_commit) devicewake::pg::RequestWorkerWake();
      wake_at_commit = false;
      break;
    case XACT_EVENT_PREPARE:
    case XACT_EVENT_ABORT:
    case XACT_EVENT_PARALLEL_ABORT:
      wake_at_commit = false;
      break;
    default:
      break;
  }
}

// Marks this transaction as one that enqueued work. Plain C calls only: RegisterXactCallback
// pallocs in TopMemoryContext (once) and raises only when out of memory, so callers run it in a
// frame without C++ objects (the hook below) or under PgCall (the trigger).
void WakeWorkerAtCommit() {
  if (!callback_registered) {
    RegisterXactCallback(OnTransactionEvent, nullptr);
    callback_registered = true;
  }
  wake_at_commit = true;
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
    WakeWorkerAtCommit();
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
  devicewake::pg::PgCall([]() { WakeWorkerAtCommit(); });
  return PointerGetDatum(nullptr);  // AFTER trigger: the result is ignored
}

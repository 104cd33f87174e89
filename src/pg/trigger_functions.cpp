// Trigger functions in C, for what runs once per row written: a PL/pgSQL trigger with SET
// search_path costs a call, a GUC save/restore and a plan execution per row, which a 10,000-device
// batch wake or a 30,000-image sweep pays per row.
//  - BEFORE row triggers keeping stored values canonical (like contrib/spi's moddatetime).
//  - Row events (the change feed's, and manual wakes told or cancelled): an AFTER row trigger
//    queues (kind, subject id, device id) in backend memory, and the statement trigger of the same
//    statement applies the queue with one call of devicewake._apply_queued_rows: one INSERT (and
//    UPDATE) per statement instead of one per row (on Citus, one device at a time).
#include <cstring>
#include <string>

#include "pg/datum.hpp"
#include "pg/device_id_functions.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "nodes/makefuncs.h"
#include "nodes/pg_list.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/rel.h"
#include "utils/uuid.h"
}

namespace {

using devicewake::pg::PgCall;
using devicewake::pg::SqlError;

// The trigger data of a BEFORE ROW INSERT/UPDATE call of function `name`, or SqlError (39P01)
// when called any other way. Never calls PostgreSQL.
TriggerData* BeforeRowTrigger(FunctionCallInfo fcinfo, const char* name) {
  if (!CALLED_AS_TRIGGER(fcinfo)) {
    throw SqlError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                   std::string(name) + "() must be called as a trigger");
  }
  auto* trigger = reinterpret_cast<TriggerData*>(fcinfo->context);
  if (!TRIGGER_FIRED_BEFORE(trigger->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigger->tg_event) ||
      TRIGGER_FIRED_BY_DELETE(trigger->tg_event) || TRIGGER_FIRED_BY_TRUNCATE(trigger->tg_event)) {
    throw SqlError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                   std::string(name) + "() must be a BEFORE INSERT or UPDATE row trigger");
  }
  return trigger;
}

// The row the trigger may change: the new row of an UPDATE, the inserted row of an INSERT.
HeapTuple RowBeingWritten(const TriggerData* trigger) {
  return TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) ? trigger->tg_newtuple : trigger->tg_trigtuple;
}

// The attribute number of column `column` of the trigger's table, or SqlError (42703).
int ColumnNumber(const TriggerData* trigger, const char* column, Oid expected_type) {
  TupleDesc desc = trigger->tg_relation->rd_att;
  int attnum = PgCall([&]() { return SPI_fnumber(desc, column); });
  if (attnum <= 0 || TupleDescAttr(desc, attnum - 1)->atttypid != expected_type) {
    throw SqlError(ERRCODE_UNDEFINED_COLUMN,
                   std::string("table has no column ") + column + " of the type the trigger needs");
  }
  return attnum;
}

}  // namespace

// devicewake._touch_updated_at() RETURNS trigger: BEFORE UPDATE row trigger setting the row's
// updated_at (timestamptz) to now(), the transaction's start. Raises 42703 on a table without it.
DW_SQL_FUNCTION(devicewake_touch_updated_at) {
  TriggerData* trigger = BeforeRowTrigger(fcinfo, "_touch_updated_at");
  int updated_at = ColumnNumber(trigger, "updated_at", TIMESTAMPTZOID);
  HeapTuple row = RowBeingWritten(trigger);
  return PgCall([&]() {
    Datum value = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
    bool is_null = false;
    return PointerGetDatum(heap_modify_tuple_by_cols(row, trigger->tg_relation->rd_att, 1,
                                                     &updated_at, &value, &is_null));
  });
}

// devicewake._devices_before_write() RETURNS trigger: BEFORE INSERT OR UPDATE row trigger of
// devicewake.devices: device_mac normalised (normalize_mac's rule and error, 22023), and on an
// UPDATE updated_at set to now(). A NULL device_mac is left to the NOT NULL constraint.
DW_SQL_FUNCTION(devicewake_devices_before_write) {
  TriggerData* trigger = BeforeRowTrigger(fcinfo, "_devices_before_write");
  TupleDesc desc = trigger->tg_relation->rd_att;
  HeapTuple row = RowBeingWritten(trigger);
  int mac_column = ColumnNumber(trigger, "device_mac", TEXTOID);
  bool is_update = TRIGGER_FIRED_BY_UPDATE(trigger->tg_event);

  int columns[2];
  Datum values[2];
  bool nulls[2] = {false, false};
  int changed = 0;

  bool mac_is_null = false;
  Datum mac = PgCall([&]() { return heap_getattr(row, mac_column, desc, &mac_is_null); });
  if (!mac_is_null) {
    std::string given = devicewake::pg::VarlenaToString(mac);
    std::string normalised = devicewake::pg::NormalizeMacOrThrow(given);
    if (normalised != given) {
      columns[changed] = mac_column;
      values[changed] = devicewake::pg::TextDatum(normalised);
      ++changed;
    }
  }
  if (is_update) {
    columns[changed] = ColumnNumber(trigger, "updated_at", TIMESTAMPTZOID);
    values[changed] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
    ++changed;
  }
  if (changed == 0) return PointerGetDatum(row);
  return PgCall([&]() {
    return PointerGetDatum(heap_modify_tuple_by_cols(row, desc, changed, columns, values, nulls));
  });
}

// ---------------------------------------------------------------- row events of a statement
namespace {

// One row event waiting for its statement's end: the kind names the rule of
// devicewake._apply_queued_rows that applies it to the subject's row.
struct QueuedEvent {
  SubTransactionId queued_in;   // the subtransaction whose statement queued it (ids grow over time)
  SubTransactionId flushed_in;  // InvalidSubTransactionId while waiting; else applied by a
                                // statement of that subtransaction, a younger one than queued_in
  char kind[32];
  pg_uuid_t subject;
  pg_uuid_t device;  // the row's device_id (Citus routes by it); has_device false when it has none
  bool has_device;
};
static_assert(std::is_trivially_copyable_v<QueuedEvent> &&
              std::is_trivially_destructible_v<QueuedEvent>);

// The queue, in TopTransactionContext (so it goes with the transaction), in the order the row
// triggers fired. A statement trigger applies every waiting event, then forgets those whose fate is
// its own subtransaction's; an event queued by an outer statement but applied inside a
// subtransaction (a trigger's EXCEPTION block) is kept, marked, so that a rollback of that
// subtransaction, which takes what was applied with it, makes it wait again. So no event is lost
// and the feed's order is the order the rows changed, however statements and subtransactions nest.
QueuedEvent* queue = nullptr;
int queue_length = 0;
int queue_capacity = 0;
bool queue_callbacks_registered = false;

// Keeps the events for which keep(event) is true, in order, after applying it. Never raises.
template <typename Keep>
void FilterQueue(Keep keep) {
  int kept = 0;
  for (int i = 0; i < queue_length; ++i) {
    if (keep(queue[i])) queue[kept++] = queue[i];
  }
  queue_length = kept;
}

int WaitingEvents() {
  int waiting = 0;
  for (int i = 0; i < queue_length; ++i) waiting += queue[i].flushed_in == InvalidSubTransactionId;
  return waiting;
}

// Runs inside transaction start/commit/abort: must not raise. The queue's memory is freed with
// TopTransactionContext; only the pointers are reset here. At PRE_COMMIT nothing waits unless a
// statement trigger was disabled while its row trigger was not: those events are lost.
void OnQueueTransactionEvent(XactEvent event, void* arg) {
  if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PARALLEL_PRE_COMMIT ||
      event == XACT_EVENT_PRE_PREPARE) {
    int waiting = WaitingEvents();
    if (waiting > 0) {
      ereport(WARNING, (errmsg("%d row events of this transaction were not applied", waiting),
                        errhint("The statement triggers calling _apply_queued() must "
                                "stay enabled with their row triggers.")));
    }
    return;
  }
  queue = nullptr;
  queue_length = queue_capacity = 0;
}

// A subtransaction ends. Rolled back: the events it queued (it and its children, all younger ids)
// go; those it applied that an older one queued wait again. Committed: what it applied counts as
// applied by its parent, and is forgotten when that is where it was queued. Must not raise.
void OnQueueSubTransactionEvent(SubXactEvent event, SubTransactionId subtransaction,
                                SubTransactionId parent, void* arg) {
  if (event == SUBXACT_EVENT_ABORT_SUB) {
    FilterQueue([&](QueuedEvent& e) {
      if (e.queued_in >= subtransaction) return false;
      if (e.flushed_in >= subtransaction) e.flushed_in = InvalidSubTransactionId;
      return true;
    });
  } else if (event == SUBXACT_EVENT_COMMIT_SUB) {
    FilterQueue([&](QueuedEvent& e) {
      if (e.flushed_in >= subtransaction) e.flushed_in = parent;
      return e.flushed_in == InvalidSubTransactionId || e.queued_in < e.flushed_in;
    });
  }
}

// Appends one event to the queue. Plain C calls only (callers run it under PgCall): registering
// the callbacks and growing the queue may raise out of memory.
void QueueEvent(const char* kind, const pg_uuid_t* subject, const pg_uuid_t* device) {
  if (!queue_callbacks_registered) {
    RegisterXactCallback(OnQueueTransactionEvent, nullptr);
    RegisterSubXactCallback(OnQueueSubTransactionEvent, nullptr);
    queue_callbacks_registered = true;
  }
  if (queue_length == queue_capacity) {
    int capacity = queue_capacity == 0 ? 64 : queue_capacity * 2;
    Size bytes = sizeof(QueuedEvent) * static_cast<Size>(capacity);
    queue = static_cast<QueuedEvent*>(queue == nullptr
                                          ? MemoryContextAlloc(TopTransactionContext, bytes)
                                          : repalloc_huge(queue, bytes));
    queue_capacity = capacity;
  }
  QueuedEvent* slot = &queue[queue_length];
  slot->queued_in = GetCurrentSubTransactionId();
  slot->flushed_in = InvalidSubTransactionId;
  strlcpy(slot->kind, kind, sizeof slot->kind);
  slot->subject = *subject;
  slot->has_device = device != nullptr;
  if (device != nullptr) slot->device = *device;
  ++queue_length;
}

}  // namespace

// devicewake._queue_row_event(kind, subject_column) RETURNS trigger: AFTER ROW trigger (INSERT or
// UPDATE) queueing the event `kind` of the row whose id (uuid) is in subject_column, with the
// row's device_id when it has one; the WHEN clause of the trigger decides which rows have one.
// Calls no SQL.
DW_SQL_FUNCTION(devicewake_queue_row_event) {
  if (!CALLED_AS_TRIGGER(fcinfo)) {
    throw SqlError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                   "_queue_row_event() must be called as a trigger");
  }
  auto* trigger = reinterpret_cast<TriggerData*>(fcinfo->context);
  const Trigger* definition = trigger->tg_trigger;
  if (!TRIGGER_FIRED_AFTER(trigger->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigger->tg_event) ||
      !(TRIGGER_FIRED_BY_INSERT(trigger->tg_event) || TRIGGER_FIRED_BY_UPDATE(trigger->tg_event)) ||
      definition->tgnargs != 2 ||
      std::strlen(definition->tgargs[0]) >= sizeof(QueuedEvent{}.kind)) {
    throw SqlError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                   "_queue_row_event(kind, subject_column) must be an AFTER INSERT or UPDATE row "
                   "trigger");
  }
  int subject_column = ColumnNumber(trigger, definition->tgargs[1], UUIDOID);
  HeapTuple row = RowBeingWritten(trigger);
  PgCall([&]() {
    TupleDesc desc = trigger->tg_relation->rd_att;
    bool is_null = false;
    Datum subject = heap_getattr(row, subject_column, desc, &is_null);
    if (is_null) return;
    int device_column = SPI_fnumber(desc, "device_id");
    const pg_uuid_t* device = nullptr;
    if (device_column > 0 && TupleDescAttr(desc, device_column - 1)->atttypid == UUIDOID) {
      bool device_null = false;
      Datum value = heap_getattr(row, device_column, desc, &device_null);
      if (!device_null) device = DatumGetUUIDP(value);
    }
    QueueEvent(definition->tgargs[0], DatumGetUUIDP(subject), device);
  });
  return PointerGetDatum(nullptr);  // AFTER trigger: the result is ignored
}

// devicewake._apply_queued() RETURNS trigger: AFTER STATEMENT trigger applying the
// events waiting in the queue (those of this statement's row triggers, and of outer statements
// still running), in queue order, with one call of devicewake._apply_queued_rows(kinds, ids,
// device_ids).
// Nothing waiting: returns at once, calling no SQL.
DW_SQL_FUNCTION(devicewake_apply_queued) {
  if (!CALLED_AS_TRIGGER(fcinfo)) {
    throw SqlError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                   "_apply_queued() must be called as a trigger");
  }
  auto* trigger = reinterpret_cast<TriggerData*>(fcinfo->context);
  if (!TRIGGER_FIRED_AFTER(trigger->tg_event) || TRIGGER_FIRED_FOR_ROW(trigger->tg_event)) {
    throw SqlError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                   "_apply_queued() must be an AFTER statement trigger");
  }
  if (queue_length == 0) return PointerGetDatum(nullptr);
  PgCall([]() {
    int count = WaitingEvents();
    if (count == 0) return;
    Datum* kinds = static_cast<Datum*>(palloc(sizeof(Datum) * count));
    Datum* ids = static_cast<Datum*>(palloc(sizeof(Datum) * count));
    Datum* devices = static_cast<Datum*>(palloc(sizeof(Datum) * count));
    bool* device_nulls = static_cast<bool*>(palloc(sizeof(bool) * count));
    int n = 0;
    for (int i = 0; i < queue_length; ++i) {
      if (queue[i].flushed_in != InvalidSubTransactionId) continue;
      kinds[n] = CStringGetTextDatum(queue[i].kind);
      auto* id = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t)));
      *id = queue[i].subject;
      ids[n] = UUIDPGetDatum(id);
      device_nulls[n] = !queue[i].has_device;
      devices[n] = 0;
      if (queue[i].has_device) {
        auto* device = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t)));
        *device = queue[i].device;
        devices[n] = UUIDPGetDatum(device);
      }
      ++n;
    }
    // marked before any SQL runs: what that SQL queues is its own statements'
    SubTransactionId current = GetCurrentSubTransactionId();
    FilterQueue([&](QueuedEvent& e) {
      if (e.flushed_in == InvalidSubTransactionId) e.flushed_in = current;
      return e.queued_in < e.flushed_in;
    });
    ArrayType* kind_array = construct_array(kinds, count, TEXTOID, -1, false, TYPALIGN_INT);
    ArrayType* id_array = construct_array(ids, count, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
    int dims[1] = {count};
    int lower_bounds[1] = {1};
    ArrayType* device_array = construct_md_array(devices, device_nulls, 1, dims, lower_bounds,
                                                 UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);

    Oid argument_types[3] = {TEXTARRAYOID, UUIDARRAYOID, UUIDARRAYOID};
    List* name =
        list_make2(makeString(pstrdup("devicewake")), makeString(pstrdup("_apply_queued_rows")));
    Oid apply = LookupFuncName(name, 3, argument_types, false);
    FmgrInfo flinfo;
    fmgr_info(apply, &flinfo);
    LOCAL_FCINFO(call, 3);
    InitFunctionCallInfoData(*call, &flinfo, 3, InvalidOid, nullptr, nullptr);
    call->args[0].value = PointerGetDatum(kind_array);
    call->args[0].isnull = false;
    call->args[1].value = PointerGetDatum(id_array);
    call->args[1].isnull = false;
    call->args[2].value = PointerGetDatum(device_array);
    call->args[2].isnull = false;
    FunctionCallInvoke(call);  // returns void (a NULL Datum)
  });
  return PointerGetDatum(nullptr);
}

// SQL of the command lifecycle (see command_store.hpp). Plans are prepared once per worker.
#include "pg/command_store.hpp"

#include <algorithm>
#include <cstring>

#include "pg/datum.hpp"
#include "pg/spi.hpp"

extern "C" {
#include "utils/array.h"
#include "utils/uuid.h"
}

namespace devicewake::pg {
namespace {

// The share of the devices one worker serves ($workers, $index): with one worker the planner
// folds it away (plans are custom, parameters constants), so one worker runs the same plans as
// before there were several.
#define DW_SHARE(alias, workers, index)                                                          \
  " AND (" workers " = 1 OR pg_catalog.abs(pg_catalog.uuid_hash(" alias ".device_id) % " workers \
  ") = " index ")"

SavedPlan release_plan(
    "UPDATE devicewake.device_commands c SET claimed_at = NULL "
    "WHERE c.status = 'pending' AND c.claimed_at IS NOT NULL" DW_SHARE("c", "$1", "$2"),
    {INT4OID, INT4OID});

SavedPlan release_ids_plan(
    "UPDATE devicewake.device_commands SET claimed_at = NULL "
    "WHERE command_id = ANY($1) AND status = 'pending' AND claimed_at IS NOT NULL",
    {UUIDARRAYOID});

// ANY(ARRAY(...)) keeps the plan on primary-key lookups of the claimed rows only.
SavedPlan claim_plan(
    "UPDATE devicewake.device_commands c"
    "   SET claimed_at = clock_timestamp(), publish_count = c.publish_count + 1"
    "  FROM devicewake.devices d"
    " WHERE d.device_id = c.device_id AND c.command_id = ANY (ARRAY("
    "  SELECT q.command_id FROM devicewake.device_commands q"
    "   WHERE q.status = 'pending' AND q.claimed_at IS NULL"
    "     AND coalesce(q.scheduled_for, q.issued_at) <= now() AND q.expires_at > now()"
    DW_SHARE("q", "$3", "$4")
    "     AND (NOT $2 OR EXISTS (SELECT FROM devicewake.device_wake_sessions s"
    "                           WHERE s.device_id = q.device_id AND s.status = 'in_progress'))"
    // the wake conversation's messages go out after the device's due application commands
    "     AND (q.session_id IS NULL OR NOT EXISTS (SELECT FROM devicewake.device_commands o"
    "           WHERE o.device_id = q.device_id AND o.session_id IS NULL"
    "             AND o.status = 'pending' AND o.claimed_at IS NULL"
    "             AND coalesce(o.scheduled_for, o.issued_at) <= now() AND o.expires_at > now()))"
    "   ORDER BY q.priority DESC, coalesce(q.scheduled_for, q.issued_at)"
    "   LIMIT $1 FOR UPDATE OF q SKIP LOCKED)) "
    "RETURNING c.command_id, d.device_mac, c.command_type,"
    "          devicewake._command_payload(c.device_id, c.command_type, c.command_payload)::text,"
    "          c.priority, coalesce(c.scheduled_for, c.issued_at), c.publish_count,"
    "          d.topic_prefix, c.session_id IS NULL",
    {INT4OID, BOOLOID, INT4OID, INT4OID});

// A sleep signal the broker acknowledged ends its wake session. The plan must be the
// primary-key lookup of these ids whatever the statistics say, so the ids come through an
// InitPlan (ARRAY(SELECT unnest($1))), whose length the planner cannot see, and the status test
// is written so that no index answers it. Seen before: given the array itself, a plan scanned
// the whole table (a generic plan made while the table was small: 100,000 rows filtered per
// batch of 500, 100-370 ms each); and with "status = 'pending'" the planner ANDed the key
// lookup with a bitmap of every pending row after a burst of 100,000 (40 of 50 ms per batch).
// Sessions are looked at only when a sleep signal is among the ids: called with none,
// _sleep_signals_sent still ran _close_wake_sessions, whose PL/pgSQL plan, cached while the
// table was small, read all of device_commands at every batch (test/integration/drain_plan.t).
SavedPlan sent_plan(
    "WITH sent AS (UPDATE devicewake.device_commands"
    "   SET status = 'sent', delivered_at = pg_catalog.clock_timestamp(), claimed_at = NULL"
    " WHERE command_id = ANY (ARRAY(SELECT pg_catalog.unnest($1::uuid[])))"
    "   AND (status = 'pending') IS TRUE"
    " RETURNING command_id, command_type)"
    "SELECT (SELECT devicewake._sleep_signals_sent(pg_catalog.array_agg(command_id)) FROM sent"
    "         WHERE command_type = 'sleep' HAVING pg_catalog.count(*) > 0),"
    "       (SELECT pg_catalog.count(*) FROM sent)",
    {UUIDARRAYOID});

SavedPlan failure_plan(
    "UPDATE devicewake.device_commands c"
    "   SET retry_count = c.retry_count + 1, claimed_at = NULL, error_message = f.reason,"
    "       status = CASE WHEN c.retry_count + 1 >= c.max_retries THEN 'failed' ELSE c.status END"
    "  FROM unnest($1::uuid[], $2::text[]) AS f(command_id, reason)"
    " WHERE c.command_id = f.command_id AND c.status = 'pending' "
    "RETURNING c.status = 'failed'",
    {UUIDARRAYOID, TEXTARRAYOID});

SavedPlan fail_now_plan(
    "UPDATE devicewake.device_commands c"
    "   SET status = 'failed', claimed_at = NULL, error_message = f.reason"
    "  FROM unnest($1::uuid[], $2::text[]) AS f(command_id, reason)"
    " WHERE c.command_id = f.command_id AND c.status = 'pending'",
    {UUIDARRAYOID, TEXTARRAYOID});

// The same message as the sweep's expiry (38_timeout_sweep.sql); expires_at holds the time. (It
// once formatted c.expires_at into the text: a STABLE cast of a column, which Citus refuses in an
// UPDATE.)
SavedPlan expire_plan(
    "UPDATE devicewake.device_commands c"
    "   SET status = 'expired', claimed_at = NULL,"
    "       error_message = 'expired before delivery (expires_at passed)'"
    " WHERE c.status = 'pending' AND c.claimed_at IS NULL AND c.expires_at <= now()" DW_SHARE("c",
                                                                                              "$1",
                                                                                              "$2"),
    {INT4OID, INT4OID});

// Commands in flight (claimed) are left out: their PUBACK or its timeout decides what happens
// next, and a past expires_at of one would otherwise fire the timer on every loop turn.
SavedPlan timer_plan(
    "SELECT least((SELECT min(c.scheduled_for) FROM devicewake.device_commands c"
    "              WHERE c.status = 'pending' AND c.claimed_at IS NULL AND c.scheduled_for > now()"
    DW_SHARE("c", "$1", "$2") "),"
    "             (SELECT min(c.expires_at) FROM devicewake.device_commands c"
    "              WHERE c.status = 'pending' AND c.claimed_at IS NULL" DW_SHARE("c", "$1", "$2")
    "))",
    {INT4OID, INT4OID});

Datum UuidArray(const std::vector<Uuid>& ids) {
  return PgCall([&]() {
    Datum* elements = static_cast<Datum*>(palloc(sizeof(Datum) * (ids.size() + 1)));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      pg_uuid_t* u = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t)));
      memcpy(u->data, ids[i].data(), UUID_LEN);
      elements[i] = UUIDPGetDatum(u);
    }
    return PointerGetDatum(construct_array(elements, static_cast<int>(ids.size()), UUIDOID,
                                           UUID_LEN, false, TYPALIGN_CHAR));
  });
}

Datum Reasons(const std::vector<PublishFailure>& failures) {
  std::vector<std::string> reasons;
  reasons.reserve(failures.size());
  for (const auto& f : failures) reasons.push_back(f.reason);
  return VarlenaArrayDatum(reasons, TEXTOID);
}

std::vector<Uuid> Ids(const std::vector<PublishFailure>& failures) {
  std::vector<Uuid> ids;
  ids.reserve(failures.size());
  for (const auto& f : failures) ids.push_back(f.command_id);
  return ids;
}

}  // namespace

uint64 CommandStore::ReleaseOrphanedClaims() {
  Datum args[2] = {Int32GetDatum(workers_), Int32GetDatum(index_)};
  return release_plan.Execute(args, nullptr, false);
}

std::vector<ClaimedCommand> CommandStore::ClaimDue(int limit, bool only_awake) {
  Datum args[4] = {Int32GetDatum(limit), BoolGetDatum(only_awake), Int32GetDatum(workers_),
                   Int32GetDatum(index_)};
  uint64 n = claim_plan.Execute(args, nullptr, false);
  std::vector<ClaimedCommand> out;
  out.reserve(n);
  for (uint64 row = 0; row < n; ++row) {
    ClaimedCommand c;
    bool is_null = false;
    Datum id = SpiValue(row, 1, &is_null);
    memcpy(c.command_id.data(), DatumGetUUIDP(id)->data, UUID_LEN);
    c.device_mac = SpiText(row, 2).value_or("");
    c.command_type = SpiText(row, 3).value_or("");
    c.payload_json = SpiText(row, 4).value_or("");
    c.priority = DatumGetInt32(SpiValue(row, 5, &is_null));
    c.due_at = DatumGetTimestampTz(SpiValue(row, 6, &is_null));
    c.publish_count = DatumGetInt32(SpiValue(row, 7, &is_null));
    c.topic_prefix = SpiText(row, 8).value_or("");
    c.from_application = DatumGetBool(SpiValue(row, 9, &is_null));
    out.push_back(std::move(c));
  }
  // RETURNING does not keep the claim's order: publish by priority, then due time.
  std::stable_sort(out.begin(), out.end(), [](const ClaimedCommand& a, const ClaimedCommand& b) {
    return a.priority != b.priority ? a.priority > b.priority : a.due_at < b.due_at;
  });
  return out;
}

uint64 CommandStore::ReleaseClaims(const std::vector<Uuid>& ids) {
  if (ids.empty()) return 0;
  Datum args[1] = {UuidArray(ids)};
  return release_ids_plan.Execute(args, nullptr, false);
}

uint64 CommandStore::MarkSent(const std::vector<Uuid>& ids) {
  if (ids.empty()) return 0;
  Datum args[1] = {UuidArray(ids)};
  sent_plan.Execute(args, nullptr, false, 1);
  bool is_null = false;
  return static_cast<uint64>(DatumGetInt64(SpiValue(0, 2, &is_null)));
}

uint64 CommandStore::RecordPublishFailures(const std::vector<PublishFailure>& failures) {
  if (failures.empty()) return 0;
  Datum args[2] = {UuidArray(Ids(failures)), Reasons(failures)};
  uint64 n = failure_plan.Execute(args, nullptr, false);
  uint64 failed = 0;
  for (uint64 row = 0; row < n; ++row) {
    bool is_null = false;
    if (DatumGetBool(SpiValue(row, 1, &is_null))) ++failed;
  }
  return failed;
}

uint64 CommandStore::FailPermanently(const std::vector<PublishFailure>& failures) {
  if (failures.empty()) return 0;
  Datum args[2] = {UuidArray(Ids(failures)), Reasons(failures)};
  return fail_now_plan.Execute(args, nullptr, false);
}

uint64 CommandStore::ExpireOverdue() {
  Datum args[2] = {Int32GetDatum(workers_), Int32GetDatum(index_)};
  return expire_plan.Execute(args, nullptr, false);
}

std::optional<TimestampTz> CommandStore::NextTimer() {
  Datum args[2] = {Int32GetDatum(workers_), Int32GetDatum(index_)};
  timer_plan.Execute(args, nullptr, false, 1);  // sees the claim and expiry just made
  bool is_null = true;
  Datum d = SpiValue(0, 1, &is_null);
  if (is_null) return std::nullopt;
  return DatumGetTimestampTz(d);
}

}  // namespace devicewake::pg

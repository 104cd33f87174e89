// SQL entry points for stuck uploads (DESIGN §4): timeout_stale_images, queue_image_retry,
// retry_failed_images, and the pg_cron registration of the sweep. Each does its work in one
// set-based SQL statement (data-modifying CTEs) run through SPI with a saved plan; the rules it
// applies come from core/retry_policy.hpp and are documented in docs/retries.md.
#include <string>

#include "core/retry_policy.hpp"
#include "pg/datum.hpp"

extern "C" {
#include "utils/tuplestore.h"
#include "utils/uuid.h"
}

using devicewake::pg::PgCall;
using devicewake::pg::SqlError;
namespace core = devicewake::core;

namespace {

std::string Quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// scheduled_for / expires_at of a retry command for a device whose next wake is `wake` (a SQL
// expression that may be NULL): core::ComputeRetryWindow in SQL.
std::string WindowOpenSql(const std::string& wake) {
  return "(" + wake + " + interval '" + std::to_string(core::kRetryWindowMinutes) +
         " minutes' > pg_catalog.now())";
}
std::string ScheduledForSql(const std::string& wake) {
  return "CASE WHEN " + WindowOpenSql(wake) + " THEN " + wake + " - interval '" +
         std::to_string(core::kRetryLeadMinutes) + " minutes' END";
}
std::string ExpiresAtSql(const std::string& wake) {
  return "CASE WHEN " + WindowOpenSql(wake) + " THEN " + wake + " + interval '" +
         std::to_string(core::kRetryWindowMinutes) +
         " minutes' ELSE pg_catalog.now() + interval '" +
         std::to_string(core::kNoWindowExpiryHours) + " hours' END";
}

// The chunk indexes (0-based, below total_chunks) not in image_chunks, as a jsonb array.
std::string MissingChunksSql(const std::string& alias) {
  return "(SELECT coalesce(pg_catalog.jsonb_agg(g.n ORDER BY g.n), '[]'::jsonb)"
         " FROM pg_catalog.generate_series(0, coalesce(" +
         alias +
         ".total_chunks, 0) - 1) AS g(n)"
         " WHERE NOT EXISTS (SELECT FROM devicewake.image_chunks ch"
         " WHERE ch.image_id = " +
         alias + ".image_id AND ch.chunk_index = g.n))";
}

// Pending retries of the images in CTE `source` that are not yet claimed by the dispatcher and
// not already past expiry (the sweep expires those) become cancelled: a retry replaces, never
// duplicates. source has image_id and device_id. The search is driven by `source` (one probe of
// device_commands_device_idx per image; OFFSET 0 keeps the planner from turning it around), so
// its cost never depends on how many commands are pending fleet-wide.
std::string CancelPendingRetriesCte(const std::string& source) {
  return "superseded AS (SELECT x.command_id FROM " + source +
         " r CROSS JOIN LATERAL"
         " (SELECT c.command_id FROM devicewake.device_commands c"
         " WHERE c.device_id = r.device_id AND c.status = 'pending' AND c.command_type = "
         "'retry_image'"
         " AND c.claimed_at IS NULL AND c.expires_at > pg_catalog.now()"
         " AND c.command_payload ->> 'image_id' = r.image_id::text OFFSET 0) x),"
         " cancelled AS (UPDATE devicewake.device_commands c"
         " SET status = 'cancelled', error_message = 'superseded by a newer retry of the same "
         "image'"
         " FROM superseded k WHERE c.command_id = k.command_id"
         " AND c.status = 'pending' AND c.claimed_at IS NULL AND c.expires_at > pg_catalog.now()"
         " RETURNING c.command_id)";
}

// Inserts one retry_image command per row of CTE `source` (image_id, device_id, image_name,
// total_chunks, wake, command_id, missing_chunks); created_by is a SQL expression evaluated once.
std::string InsertRetriesCte(const std::string& source, const std::string& created_by) {
  return "queued AS (INSERT INTO devicewake.device_commands"
         " (command_id, device_id, command_type, command_payload, priority, scheduled_for, "
         "expires_at,"
         " created_by_user_id)"
         " SELECT r.command_id, r.device_id, 'retry_image',"
         " pg_catalog.jsonb_build_object('image_id', r.image_id, 'image_name', r.image_name,"
         " 'total_chunks', r.total_chunks, 'missing_chunks', r.missing_chunks), " +
         std::to_string(core::kRetryPriority) + ", " + ScheduledForSql("r.wake") + ", " +
         ExpiresAtSql("r.wake") + ", " + created_by + " FROM " + source +
         " r RETURNING command_id, device_id)";
}

// The sweep: one statement. Images are locked with SKIP LOCKED and re-checked in the UPDATE,
// so overlapping sweeps fail each image exactly once (see docs/retries.md).
const std::string& SweepSql() {
  static const std::string sql = [] {
    const std::string reason = Quote(core::kTimeoutReason);
    const std::string retry = core::QueueRetrySql("f.retry_count_before", "f.max_retries");
    const std::string alert = core::RaiseAlertSql("f.retry_count_before", "f.max_retries");
    // the uploads in flight (partial index device_images_receiving_idx) drive the search, one
    // primary-key probe of devices each: the cost follows the number of uploads in flight, never
    // the fleet's size or how many devices are overdue (OFFSET 0 keeps the planner from
    // flattening the lateral probe into a join it could turn around)
    return "WITH stale AS ("
           " SELECT i.image_id, w.next_wake_at"
           " FROM devicewake.device_images i CROSS JOIN LATERAL"
           " (SELECT d.next_wake_at FROM devicewake.devices d"
           " WHERE d.device_id = i.device_id AND d.next_wake_at <= pg_catalog.now() OFFSET 0) w"
           " WHERE i.status = 'receiving'"
           " FOR UPDATE OF i SKIP LOCKED),"
           " failed AS (UPDATE devicewake.device_images i"
           " SET status = 'failed', failed_at = pg_catalog.now(), timeout_reason = " +
           reason +
           ","
           " retry_count = i.retry_count + 1"
           " FROM stale s WHERE i.image_id = s.image_id AND i.status = 'receiving'"
           " RETURNING i.image_id, i.device_id, i.session_id, i.image_name, i.total_chunks,"
           " i.retry_count - 1 AS retry_count_before, i.retry_count, i.max_retries,"
           " s.next_wake_at AS wake,"
           // the retry command's id, when this failure gets one
           " CASE WHEN " +
           core::QueueRetrySql("(i.retry_count - 1)", "i.max_retries") +
           " THEN pg_catalog.gen_random_uuid() END AS command_id),"
           " retry AS (SELECT f.image_id, f.device_id, f.image_name, f.total_chunks, f.wake,"
           " f.command_id, " +
           MissingChunksSql("f") +
           " AS missing_chunks"
           " FROM failed f WHERE f.command_id IS NOT NULL), " +
           CancelPendingRetriesCte("retry") + ", " + InsertRetriesCte("retry", "NULL::uuid") +
           ","
           " alerted AS (INSERT INTO devicewake.device_alerts"
           " (device_id, image_id, alert_type, severity, message, metadata, attempt)"
           " SELECT f.device_id, f.image_id, " +
           Quote(core::kTimeoutAlertType) +
           ", 'critical',"
           " pg_catalog.format('Image %s failed to transmit (attempt %s of %s): %s', f.image_name,"
           " f.retry_count, f.max_retries, CASE WHEN " +
           retry +
           " THEN 'last retry queued' ELSE 'no retries left' END),"
           " pg_catalog.jsonb_build_object('image_name', f.image_name, 'retry_count', "
           "f.retry_count,"
           " 'max_retries', f.max_retries, 'reason', " +
           reason + ", 'retry_queued', " + retry +
           "),"
           " f.retry_count FROM failed f WHERE " +
           alert +
           " ON CONFLICT (image_id, alert_type, attempt) WHERE resolved_at IS NULL DO NOTHING"
           " RETURNING alert_id, image_id),"
           " history AS (INSERT INTO devicewake.device_history (device_id, session_id, event_type, "
           "event_data)"
           " SELECT f.device_id, f.session_id, 'image_timeout',"
           " pg_catalog.jsonb_build_object('image_id', f.image_id, 'image_name', f.image_name,"
           " 'retry_count', f.retry_count, 'max_retries', f.max_retries, 'reason', " +
           reason +
           ","
           " 'retry_command_id', f.command_id)"
           " FROM failed f),"
           " expiring AS (SELECT c.command_id FROM devicewake.device_commands c"
           " WHERE c.status IN ('pending', 'sent') AND c.expires_at <= pg_catalog.now()"
           " FOR UPDATE OF c SKIP LOCKED),"
           " expired AS (UPDATE devicewake.device_commands c"
           " SET status = 'expired', claimed_at = NULL,"
           " error_message = CASE c.status WHEN 'sent' THEN 'expired before the device "
           "acknowledged it'"
           " ELSE 'expired before delivery' END || ' (expires_at passed)'"
           " FROM expiring e WHERE c.command_id = e.command_id AND c.status IN ('pending', 'sent')"
           " AND c.expires_at <= pg_catalog.now())"
           " SELECT f.device_id, f.image_id, f.image_name, f.retry_count, f.command_id, a.alert_id"
           " FROM failed f LEFT JOIN alerted a ON a.image_id = f.image_id"
           " ORDER BY f.device_id, f.image_name";
  }();
  return sql;
}

// The device's next wake: stored, or computed from the device's (else its site's) schedule.
const char* kWakeSql =
    "coalesce(d.next_wake_at, devicewake.fn_calculate_next_wake_time(pg_catalog.now(),"
    " coalesce(d.wake_schedule_cron, s.wake_schedule_cron),"
    " coalesce(d.timezone::text, s.timezone::text, 'UTC')))";

// The caller's identity (DESIGN §9) as an uncorrelated subquery: evaluated once per statement.
const char* kCallerSql = "(SELECT devicewake.current_user_id())";

// Shared tail of queue_image_retry and retry_failed_images: `targets` (image_id, device_id,
// image_name, total_chunks) gets a retry each; returns one row per queued command.
std::string QueueRetriesTail() {
  return " retry AS (SELECT t.image_id, t.device_id, t.image_name, t.total_chunks, " +
         std::string(kWakeSql) + " AS wake, pg_catalog.gen_random_uuid() AS command_id, " +
         MissingChunksSql("t") +
         " AS missing_chunks"
         " FROM targets t JOIN devicewake.devices d ON d.device_id = t.device_id"
         " LEFT JOIN devicewake.sites s ON s.site_id = d.site_id), " +
         CancelPendingRetriesCte("retry") + ", " + InsertRetriesCte("retry", kCallerSql) +
         ","
         " history AS (INSERT INTO devicewake.device_history (device_id, event_type, event_data)"
         " SELECT r.device_id, 'image_retry_queued', pg_catalog.jsonb_build_object("
         "'image_id', r.image_id, 'image_name', r.image_name, 'retry_command_id', r.command_id,"
         " 'missing_chunks', r.missing_chunks, 'requested_by', " +
         std::string(kCallerSql) +
         ")"
         " FROM retry r)"
         " SELECT q.command_id FROM queued q";
}

const std::string& QueueOneSql() {
  static const std::string sql =
      "WITH targets AS (SELECT i.image_id, i.device_id, i.image_name, i.total_chunks"
      " FROM devicewake.device_images i WHERE i.image_id = $1), " +
      QueueRetriesTail();
  return sql;
}

const std::string& QueueDeviceSql() {
  static const std::string sql =
      "WITH targets AS (UPDATE devicewake.device_images i SET retry_count = 0"
      " WHERE i.device_id = $1 AND i.status = 'failed'"
      " RETURNING i.image_id, i.device_id, i.image_name, i.total_chunks),"
      // the user acted on the failure: its open timeout alerts are resolved, and a new cycle of
      // failures may raise them again
      " resolved AS (UPDATE devicewake.device_alerts a SET resolved_at = pg_catalog.now()"
      " FROM targets t WHERE a.image_id = t.image_id AND a.alert_type = " +
      Quote(core::kTimeoutAlertType) + " AND a.resolved_at IS NULL), " + QueueRetriesTail();
  return sql;
}

// A plan prepared on first use and kept for the backend's life (SPI_keepplan). Call connected
// to SPI, inside PgCall.
SPIPlanPtr KeptPlan(SPIPlanPtr* slot, const char* sql, int nargs, Oid* argtypes) {
  if (*slot == nullptr) {
    SPIPlanPtr plan = SPI_prepare(sql, nargs, argtypes);
    if (plan == nullptr) elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
    SPI_keepplan(plan);
    *slot = plan;
  }
  return *slot;
}

SPIPlanPtr sweep_plan = nullptr;
SPIPlanPtr image_lookup_plan = nullptr;
SPIPlanPtr image_lock_plan = nullptr;
SPIPlanPtr can_access_plan = nullptr;
SPIPlanPtr require_access_plan = nullptr;
SPIPlanPtr queue_one_plan = nullptr;
SPIPlanPtr lock_failed_plan = nullptr;
SPIPlanPtr queue_device_plan = nullptr;

// Outcome of the image look-up and checks of queue_image_retry, in plain storage.
enum class ImageCheck { kOk, kMissing, kComplete };

}  // namespace

// timeout_stale_images() RETURNS TABLE(device_id, image_id, image_name, retry_count, command_id,
// alert_id): the sweep of DESIGN §4 (rules in docs/retries.md). One statement; rows ordered by
// device and image name.
DW_SQL_FUNCTION(devicewake_timeout_stale_images) {
  const char* sql = SweepSql().c_str();
  PgCall([&]() {
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    SPIPlanPtr plan = KeptPlan(&sweep_plan, sql, 0, nullptr);
    int rc = SPI_execute_plan(plan, nullptr, nullptr, false, 0);
    if (rc != SPI_OK_SELECT) elog(ERROR, "timeout sweep failed: %s", SPI_result_code_string(rc));
    for (uint64 row = 0; row < SPI_processed; ++row) {
      Datum values[6];
      bool nulls[6];
      for (int col = 0; col < 6; ++col) {
        values[col] =
            SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col + 1, &nulls[col]);
      }
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    SPI_finish();
  });
  return (Datum)0;
}

// queue_image_retry(p_image_id uuid) RETURNS uuid: the new retry_image command's id. Raises 22004
// for NULL, P0002 for an image that does not exist or that the caller may not see, 55000 for an
// image already complete.
DW_SQL_FUNCTION(devicewake_queue_image_retry) {
  if (PG_ARGISNULL(0)) throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "image id must not be null");
  Datum image_id = PG_GETARG_DATUM(0);
  const char* queue_sql = QueueOneSql().c_str();
  ImageCheck check = ImageCheck::kOk;
  Datum result = PgCall([&]() {
    Oid uuid_type[1] = {UUIDOID};
    Datum args[1] = {image_id};
    Datum out = (Datum)0;
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    // 1. which device; may the caller act on it? (a hidden device reads as a missing image)
    SPIPlanPtr lookup = KeptPlan(
        &image_lookup_plan,
        "SELECT i.device_id FROM devicewake.device_images i WHERE i.image_id = $1", 1, uuid_type);
    bool is_null = true;
    Datum device_id = (Datum)0;
    if (SPI_execute_plan(lookup, args, nullptr, true, 1) == SPI_OK_SELECT && SPI_processed == 1) {
      device_id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
    }
    if (!is_null) {
      Datum device_args[1] = {device_id};
      SPIPlanPtr can =
          KeptPlan(&can_access_plan, "SELECT devicewake.can_access_device($1)", 1, uuid_type);
      SPI_execute_plan(can, device_args, nullptr, true, 1);
      bool can_null = true;
      Datum allowed = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &can_null);
      if (can_null || !DatumGetBool(allowed)) {
        is_null = true;
      } else {
        SPIPlanPtr require = KeptPlan(&require_access_plan,
                                      "SELECT devicewake.require_device_access($1)", 1, uuid_type);
        SPI_execute_plan(require, device_args, nullptr, false, 1);
      }
    }
    if (is_null) {
      check = ImageCheck::kMissing;
      SPI_finish();
      return out;
    }
    // 2. lock the image: concurrent retries of one image queue one after the other, and the next
    //    statement's fresh snapshot sees the command the previous one queued (and cancels it)
    SPIPlanPtr lock =
        KeptPlan(&image_lock_plan,
                 "SELECT i.status FROM devicewake.device_images i WHERE i.image_id = $1 FOR UPDATE",
                 1, uuid_type);
    SPI_execute_plan(lock, args, nullptr, false, 1);
    if (SPI_processed != 1) {
      check = ImageCheck::kMissing;
    } else {
      char* status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
      if (status != nullptr && strcmp(status, "complete") == 0) check = ImageCheck::kComplete;
    }
    if (check != ImageCheck::kOk) {
      SPI_finish();
      return out;
    }
    // 3. cancel the pending retry of this image, queue the new one, log it: one statement
    SPIPlanPtr queue = KeptPlan(&queue_one_plan, queue_sql, 1, uuid_type);
    int rc = SPI_execute_plan(queue, args, nullptr, false, 0);
    if (rc != SPI_OK_SELECT || SPI_processed != 1) elog(ERROR, "queueing the image retry failed");
    bool out_null = true;
    Datum command_id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &out_null);
    pg_uuid_t* copy = static_cast<pg_uuid_t*>(SPI_palloc(sizeof(pg_uuid_t)));
    memcpy(copy, DatumGetUUIDP(command_id), sizeof(pg_uuid_t));
    out = UUIDPGetDatum(copy);
    SPI_finish();
    return out;
  });
  if (check != ImageCheck::kOk) {
    char* id_text =
        PgCall([&]() { return DatumGetCString(DirectFunctionCall1(uuid_out, image_id)); });
    if (check == ImageCheck::kMissing) {
      throw SqlError(ERRCODE_NO_DATA_FOUND, std::string("image ") + id_text + " does not exist");
    }
    throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                   std::string("image ") + id_text + " is already complete",
                   "A complete image has nothing left to transmit.");
  }
  return result;
}

// retry_failed_images(p_device_id uuid) RETURNS integer: resets retry_count to 0 for the
// device's failed images and queues a retry for each; the number queued. Raises like
// require_device_access (22004 for NULL, P0002 for an unknown or hidden device).
DW_SQL_FUNCTION(devicewake_retry_failed_images) {
  Datum device_id = PG_ARGISNULL(0) ? (Datum)0 : PG_GETARG_DATUM(0);
  bool device_null = PG_ARGISNULL(0);
  const char* queue_sql = QueueDeviceSql().c_str();
  int64 queued = PgCall([&]() {
    Oid uuid_type[1] = {UUIDOID};
    Datum args[1] = {device_id};
    char nulls[2] = {device_null ? 'n' : ' ', '\0'};
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    SPIPlanPtr require =
        KeptPlan(&require_access_plan, "SELECT devicewake.require_device_access($1)", 1, uuid_type);
    SPI_execute_plan(require, args, nulls, false, 1);
    // lock first, then queue in a statement whose snapshot sees what a concurrent call committed
    SPIPlanPtr lock =
        KeptPlan(&lock_failed_plan,
                 "SELECT i.image_id FROM devicewake.device_images i"
                 " WHERE i.device_id = $1 AND i.status = 'failed' ORDER BY i.image_id FOR UPDATE",
                 1, uuid_type);
    SPI_execute_plan(lock, args, nullptr, false, 0);
    SPIPlanPtr queue = KeptPlan(&queue_device_plan, queue_sql, 1, uuid_type);
    int rc = SPI_execute_plan(queue, args, nullptr, false, 0);
    if (rc != SPI_OK_SELECT) elog(ERROR, "queueing the image retries failed");
    int64 count = static_cast<int64>(SPI_processed);
    SPI_finish();
    return count;
  });
  PG_RETURN_INT32(static_cast<int32>(queued));
}

namespace {

// True when pg_cron is installed in this database. Call connected to SPI, inside PgCall.
bool PgCronInstalled() {
  int rc = SPI_execute("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron'", true, 1);
  return rc == SPI_OK_SELECT && SPI_processed == 1;
}

}  // namespace

// schedule_timeout_monitor(p_schedule text DEFAULT '*/5 * * * *') RETURNS bigint: registers (or
// re-schedules: pg_cron upserts by job name) the sweep as pg_cron job devicewake_timeout_monitor;
// the job id. 55000 when pg_cron is not installed in this database; pg_cron's own error for an
// invalid schedule.
DW_SQL_FUNCTION(devicewake_schedule_timeout_monitor) {
  if (PG_ARGISNULL(0)) throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "schedule must not be null");
  Datum schedule = PG_GETARG_DATUM(0);
  const std::string job_name(core::kMonitorJobName);
  const char* job = job_name.c_str();
  bool installed = true;
  int64 job_id = PgCall([&]() {
    int64 id = 0;
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    installed = PgCronInstalled();
    if (installed) {
      Oid types[3] = {TEXTOID, TEXTOID, TEXTOID};
      Datum args[3] = {
          CStringGetTextDatum(job), schedule,
          CStringGetTextDatum("SELECT count(*) FROM devicewake.timeout_stale_images()")};
      // The schedule passes the same validator as stored wake schedules (22023 naming the field,
      // also for one that can never fire); pg_cron's own "N seconds" form is left to pg_cron.
      int rc = SPI_execute_with_args(
          "SELECT cron.schedule($1, $2, $3) WHERE $2 ~* '^\\s*[0-9]+\\s+seconds?\\s*$' "
          "OR devicewake.check_cron_expression($2)",
          3, types, args, nullptr, false, 1);
      if (rc != SPI_OK_SELECT || SPI_processed != 1)
        elog(ERROR, "cron.schedule returned no job id");
      bool is_null = true;
      id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
    }
    SPI_finish();
    return id;
  });
  if (!installed) {
    throw SqlError(
        ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, "pg_cron is not installed in this database",
        "The timeout monitor is a pg_cron job that runs devicewake.timeout_stale_images().",
        "Add pg_cron to shared_preload_libraries, set cron.database_name to this database, "
        "restart the server and run CREATE EXTENSION pg_cron.");
  }
  PG_RETURN_INT64(job_id);
}

// unschedule_timeout_monitor() RETURNS boolean: true when a job was removed, false when none was
// scheduled (or pg_cron is not installed here).
DW_SQL_FUNCTION(devicewake_unschedule_timeout_monitor) {
  const std::string job_name(core::kMonitorJobName);
  const char* job = job_name.c_str();
  bool removed = PgCall([&]() {
    bool done = false;
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    if (PgCronInstalled()) {
      Oid types[1] = {TEXTOID};
      Datum args[1] = {CStringGetTextDatum(job)};
      int rc = SPI_execute_with_args(
          "SELECT cron.unschedule(j.jobid) FROM cron.job j WHERE j.jobname = $1", 1, types, args,
          nullptr, false, 0);
      done = rc == SPI_OK_SELECT && SPI_processed > 0;
    }
    SPI_finish();
    return done;
  });
  PG_RETURN_BOOL(removed);
}

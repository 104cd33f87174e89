// SQL entry points that register the timeout sweep (devicewake.timeout_stale_images(), written in
// sql/install/38_image_retry.sql) with pg_cron: schedule_timeout_monitor and
// unschedule_timeout_monitor (docs/design.md §4, docs/retries.md).
#include <string>

#include "pg/datum.hpp"

using devicewake::pg::PgCall;
using devicewake::pg::SqlError;

namespace {

constexpr const char* kMonitorJobName = "devicewake_timeout_monitor";  // the pg_cron job

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
  const std::string job_name(kMonitorJobName);
  const char* job = job_name.c_str();
  bool installed = true;
  int64 job_id = PgCall([&]() {
    int64 id = 0;
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    installed = PgCronInstalled();
    if (installed) {
      Oid types[3] = {TEXTOID, TEXTOID, TEXTOID};
      // The job runs as a superuser in a new session on the database's search_path, which the
      // database's owner may set: every name in it is qualified (docs/security.md).
      Datum args[3] = {
          CStringGetTextDatum(job), schedule,
          CStringGetTextDatum("SELECT pg_catalog.count(*) FROM devicewake.timeout_stale_images()")};
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
  const std::string job_name(kMonitorJobName);
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

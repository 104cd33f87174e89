// Module entry points: _PG_init (settings, worker registration) and the preload check the
// install script calls so CREATE EXTENSION refuses clearly when the library is not preloaded.
#include "pg/commit_wake.hpp"
#include "pg/guard.hpp"
#include "pg/settings.hpp"
#include "pg/worker.hpp"

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);
}

namespace {
bool loaded_by_preload = false;
}

// Called by PostgreSQL when the library is loaded. Calls only PostgreSQL C functions (no C++
// object is alive here), so an ereport from them is safe.
void _PG_init(void) {
  // Loaded later (LOAD, or CREATE EXTENSION without the preload): define nothing, since
  // PGC_POSTMASTER settings can only be created at startup; devicewake._assert_preloaded()
  // then refuses with a clear message.
  if (!process_shared_preload_libraries_in_progress) return;
  devicewake::pg::settings::DefineSettings();
  loaded_by_preload = true;
  devicewake::pg::RegisterWorker();
  devicewake::pg::InstallCommitPreparedHook();
}

// devicewake._assert_preloaded() RETURNS void: 55000 unless loaded by shared_preload_libraries.
DW_SQL_FUNCTION(devicewake_assert_preloaded) {
  if (!loaded_by_preload) {
    throw devicewake::pg::SqlError(
        ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
        "pg_devicewake must be loaded via shared_preload_libraries",
        "Its background worker keeps the MQTT connection and starts with the server.",
        "Add pg_devicewake to shared_preload_libraries in postgresql.conf and restart the "
        "server.");
  }
  PG_RETURN_VOID();
}

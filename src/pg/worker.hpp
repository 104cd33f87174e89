// The pg_devicewake background worker: registration (from _PG_init) and its entry point.
// Lifecycle and state table: src/pg/README.md.
#pragma once

namespace devicewake::pg {

// Registers the worker with the postmaster. Call only while loading shared_preload_libraries.
void RegisterWorker();

}  // namespace devicewake::pg

extern "C" {
// bgw_function_name of the worker: runs until SIGTERM; exits 1 on an unexpected error so the
// postmaster restarts it, 0 when devicewake.enabled is off.
void devicewake_worker_main(unsigned long main_arg);
}

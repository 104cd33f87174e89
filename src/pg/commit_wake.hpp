// The worker's wake-up at commit (commit_wake.cpp): the enqueue path's trigger, a transaction
// callback that sets the latch of the worker owning the device, and the hook that does the same for
// COMMIT PREPARED.
#pragma once

namespace devicewake::pg {

// Installs the ProcessUtility hook that wakes the worker after COMMIT PREPARED. From _PG_init,
// under shared_preload_libraries. Never raises.
void InstallCommitPreparedHook();

}  // namespace devicewake::pg

// The fleet-operations step of the worker's housekeeping: devicewake._campaign_tick(), once a
// second (campaign pacing and abort, missed manual wakes; rules in sql/install/57_campaigns.sql).
#pragma once

#include <cstdint>

namespace devicewake::pg {

// Runs devicewake._campaign_tick(now()) inside the caller's transaction (SPI connected) and
// returns how many commands it released. Does nothing (returns 0) while the installed extension
// has no such function (1.0 before ALTER EXTENSION UPDATE). May throw SqlError.
uint64_t RunFleetTick();

}  // namespace devicewake::pg

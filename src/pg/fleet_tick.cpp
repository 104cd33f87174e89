// The worker's call of devicewake._campaign_tick() (fleet_tick.hpp). Schema-qualified SQL only:
// the worker is a superuser with search_path = pg_catalog, pg_temp.
#include "pg/fleet_tick.hpp"

#include "pg/datum.hpp"
#include "pg/spi.hpp"

namespace devicewake::pg {
namespace {

SavedPlan tick_exists_plan(
    "SELECT pg_catalog.to_regprocedure('devicewake._campaign_tick(timestamp with time zone)') "
    "IS NOT NULL",
    {});

}  // namespace

uint64_t RunFleetTick() {
  tick_exists_plan.Execute(nullptr, nullptr, true, 1);
  bool is_null = true;
  Datum exists = SpiValue(0, 1, &is_null);
  if (is_null || !DatumGetBool(exists)) return 0;
  // prepared only once the function exists (a plan naming a missing function cannot be made)
  static SavedPlan tick_plan("SELECT devicewake._campaign_tick(pg_catalog.now())", {});
  tick_plan.Execute(nullptr, nullptr, false, 1);
  Datum released = SpiValue(0, 1, &is_null);
  return is_null ? 0 : static_cast<uint64_t>(DatumGetInt32(released));
}

}  // namespace devicewake::pg

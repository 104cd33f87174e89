// SPI helpers (see spi.hpp).
#include "pg/spi.hpp"

#include "pg/datum.hpp"

namespace devicewake::pg {

SavedPlan::SavedPlan(const char* sql, std::initializer_list<Oid> argtypes)
    : sql_(sql), nargs_(static_cast<int>(argtypes.size())) {
  int i = 0;
  for (Oid type : argtypes) {
    if (i < kMaxArgs) argtypes_[i] = type;
    ++i;
  }
}

uint64 SavedPlan::Execute(const Datum* values, const char* nulls, bool read_only, long limit) {
  return PgCall([&]() -> uint64 {
    if (plan_ == nullptr) {
      if (nargs_ > kMaxArgs) elog(ERROR, "pg_devicewake: too many arguments for: %s", sql_);
      SPIPlanPtr plan = SPI_prepare_cursor(sql_, nargs_, argtypes_, CURSOR_OPT_CUSTOM_PLAN);
      if (plan == nullptr) {
        elog(ERROR, "pg_devicewake: SPI_prepare_cursor failed (%s) for: %s",
             SPI_result_code_string(SPI_result), sql_);
      }
      SPI_keepplan(plan);
      plan_ = plan;
    }
    int rc = SPI_execute_plan(plan_, const_cast<Datum*>(values), nulls, read_only, limit);
    if (rc < 0) {
      elog(ERROR, "pg_devicewake: SPI_execute_plan failed (%s) for: %s", SPI_result_code_string(rc),
           sql_);
    }
    return SPI_processed;
  });
}

Datum SpiValue(uint64 row, int column, bool* is_null) {
  return PgCall([&]() {
    return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column, is_null);
  });
}

std::optional<std::string> SpiText(uint64 row, int column) {
  bool is_null = false;
  Datum value = SpiValue(row, column, &is_null);
  if (is_null) return std::nullopt;
  return VarlenaToString(value);
}

}  // namespace devicewake::pg

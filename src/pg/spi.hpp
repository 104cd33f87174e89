// SPI helpers for C++ code: prepared plans kept for the backend's lifetime, executed under PgCall
// so a PostgreSQL error arrives as SqlError. Callers connect/finish SPI explicitly (not RAII).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>

#include "pg/guard.hpp"

namespace devicewake::pg {

// A statement prepared once (SPI_prepare_cursor + SPI_keepplan) on first use, and planned for
// its real arguments at every execution (CURSOR_OPT_CUSTOM_PLAN): batches vary from 1 to
// batch_size rows, and a generic plan could turn a primary-key lookup into a scan of the whole
// queue, and a generic plan made while a table was small stays a scan of it after it grew. Only
// the worker's own statements: what they call (PL/pgSQL, SQL functions) keeps PostgreSQL's plan
// cache, so a function's statements are not planned again at every call.
class SavedPlan {
 public:
  SavedPlan(const char* sql, std::initializer_list<Oid> argtypes);
  // Executes with the given argument Datums (nulls: ' ' not null, 'n' null; nullptr = none null).
  // Returns SPI_processed; the result is in SPI_tuptable. May throw SqlError.
  uint64 Execute(const Datum* values, const char* nulls, bool read_only, long limit = 0);

 private:
  static constexpr int kMaxArgs = 16;
  const char* sql_;
  Oid argtypes_[kMaxArgs];
  int nargs_;
  SPIPlanPtr plan_ = nullptr;
};

// Reads column `column` (1-based) of row `row` of SPI_tuptable; *is_null set. May throw SqlError.
Datum SpiValue(uint64 row, int column, bool* is_null);
// The same column as text (a text or bytea column), nullopt for NULL. May throw SqlError.
std::optional<std::string> SpiText(uint64 row, int column);

}  // namespace devicewake::pg

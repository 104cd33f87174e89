// SPI helpers for C++ code: prepared plans kept for the backend's lifetime, executed under PgCall
// so a PostgreSQL error arrives as SqlError. Callers connect/finish SPI explicitly (not RAII).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>

#include "pg/guard.hpp"

namespace devicewake::pg {

// A statement prepared once (SPI_prepare + SPI_keepplan) on first use.
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

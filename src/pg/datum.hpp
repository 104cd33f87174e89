// Conversions between Datums and plain C++ values, each run under PgCall so that a PostgreSQL
// error (detoasting, out of memory) surfaces as a SqlError instead of a longjmp over C++ frames.
#pragma once

#include <string>
#include <string_view>

#include "pg/guard.hpp"

namespace devicewake::pg {

// Argument n as a std::string (the caller checked it is not NULL). May throw SqlError.
inline std::string TextArg(FunctionCallInfo fcinfo, int n) {
  struct View {
    const char* data;
    std::size_t size;
  };
  View view = PgCall([&]() {
    text* value = PG_GETARG_TEXT_PP(n);
    return View{VARDATA_ANY(value), static_cast<std::size_t>(VARSIZE_ANY_EXHDR(value))};
  });
  return std::string(view.data, view.size);
}

// A text Datum holding a copy of value, in the current memory context. May throw SqlError.
inline Datum TextDatum(std::string_view value) {
  return PgCall([&]() {
    return PointerGetDatum(cstring_to_text_with_len(value.data(), static_cast<int>(value.size())));
  });
}

}  // namespace devicewake::pg

// Conversions between Datums and plain C++ values, each run under PgCall so that a PostgreSQL
// error (detoasting, out of memory) surfaces as a SqlError instead of a longjmp over C++ frames.
// The one place these conversions live.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pg/guard.hpp"

namespace devicewake::pg {

// The bytes of a text or bytea Datum (detoasted). May throw SqlError.
std::string VarlenaToString(Datum value);

// Argument n as a std::string (the caller checked it is not NULL). May throw SqlError.
std::string TextArg(FunctionCallInfo fcinfo, int n);

// A text / bytea Datum holding a copy of value, in the current memory context. May throw SqlError.
Datum TextDatum(std::string_view value);
Datum ByteaDatum(std::string_view value);

// A one-dimensional text[] (element_type TEXTOID) or bytea[] (BYTEAOID); element i is NULL where
// nulls is given and nulls[i] is true. May throw SqlError.
Datum VarlenaArrayDatum(const std::vector<std::string>& values, Oid element_type,
                        const std::vector<bool>* nulls = nullptr);
// The elements of a text[] Datum (NULL elements become empty strings). May throw SqlError.
std::vector<std::string> TextArrayToStrings(Datum array);
// A one-dimensional int4[]. May throw SqlError.
Datum Int4ArrayDatum(const std::vector<int32>& values);

}  // namespace devicewake::pg

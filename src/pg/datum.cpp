// Datum conversions (see datum.hpp).
#include "pg/datum.hpp"

extern "C" {
#include "utils/array.h"
}

namespace devicewake::pg {

std::string VarlenaToString(Datum value) {
  struct View {
    const char* data;
    std::size_t size;
  };
  View view = PgCall([&]() {
    struct varlena* v = PG_DETOAST_DATUM_PACKED(value);
    return View{VARDATA_ANY(v), static_cast<std::size_t>(VARSIZE_ANY_EXHDR(v))};
  });
  return std::string(view.data, view.size);
}

std::string TextArg(FunctionCallInfo fcinfo, int n) { return VarlenaToString(PG_GETARG_DATUM(n)); }

Datum TextDatum(std::string_view value) {
  return PgCall([&]() {
    return PointerGetDatum(cstring_to_text_with_len(value.data(), static_cast<int>(value.size())));
  });
}

Datum ByteaDatum(std::string_view value) {
  return PgCall([&]() {
    bytea* b = static_cast<bytea*>(palloc(VARHDRSZ + value.size()));
    SET_VARSIZE(b, VARHDRSZ + value.size());
    memcpy(VARDATA(b), value.data(), value.size());
    return PointerGetDatum(b);
  });
}

Datum VarlenaArrayDatum(const std::vector<std::string>& values, Oid element_type,
                        const std::vector<bool>* nulls) {
  std::vector<Datum> elements(values.size() + 1);
  std::vector<char> null_flags(values.size() + 1, 0);  // bool storage that vector<bool> lacks
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (nulls != nullptr && (*nulls)[i]) {
      null_flags[i] = 1;
      continue;
    }
    elements[i] = element_type == BYTEAOID ? ByteaDatum(values[i]) : TextDatum(values[i]);
  }
  return PgCall([&]() {
    int dims[1] = {static_cast<int>(values.size())};
    int lower_bounds[1] = {1};
    return PointerGetDatum(construct_md_array(elements.data(),
                                              reinterpret_cast<bool*>(null_flags.data()), 1, dims,
                                              lower_bounds, element_type, -1, false, TYPALIGN_INT));
  });
}

Datum Int4ArrayDatum(const std::vector<int32>& values) {
  std::vector<Datum> elements(values.size() + 1);
  for (std::size_t i = 0; i < values.size(); ++i) elements[i] = Int32GetDatum(values[i]);
  return PgCall([&]() {
    return PointerGetDatum(construct_array(elements.data(), static_cast<int>(values.size()),
                                           INT4OID, sizeof(int32), true, TYPALIGN_INT));
  });
}

std::vector<std::string> TextArrayToStrings(Datum array) {
  struct Elements {
    Datum* values;
    bool* nulls;
    int count;
  };
  Elements e = PgCall([&]() {
    Elements out{nullptr, nullptr, 0};
    deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false, TYPALIGN_INT, &out.values,
                      &out.nulls, &out.count);
    return out;
  });
  std::vector<std::string> strings;
  strings.reserve(static_cast<std::size_t>(e.count));
  for (int i = 0; i < e.count; ++i) {
    strings.push_back(e.nulls[i] ? std::string() : VarlenaToString(e.values[i]));
  }
  return strings;
}

}  // namespace devicewake::pg

// SQL entry points for device identifiers: devicewake.normalize_mac(text).
#include "pg/device_id_functions.hpp"

#include "core/device_id.hpp"
#include "pg/datum.hpp"

using devicewake::pg::SqlError;

namespace devicewake::pg {

std::string NormalizeMacOrThrow(std::string_view input) {
  devicewake::core::DeviceIdResult result = devicewake::core::NormalizeDeviceId(input);
  if (!result.ok) {
    throw SqlError(
        ERRCODE_INVALID_PARAMETER_VALUE,
        "invalid device identifier \"" + devicewake::core::PrintableExcerpt(input) + "\"",
        result.error,
        "Use a MAC such as B8:F8:62:F9:C1:C4, or an identifier starting with TEST-, "
        "VIRTUAL: or SYSTEM:.");
  }
  return std::move(result.value);
}

}  // namespace devicewake::pg

// normalize_mac(text) RETURNS text, IMMUTABLE STRICT: the normalised identifier, or 22023.
DW_SQL_FUNCTION(devicewake_normalize_mac) {
  std::string input = devicewake::pg::TextArg(fcinfo, 0);
  return devicewake::pg::TextDatum(devicewake::pg::NormalizeMacOrThrow(input));
}

// SQL entry point of the HELLO parser: devicewake._hello_fields, through which
// record_device_hello (36_device_hello.sql) hands a body given in SQL to the same core checks a
// HELLO received over MQTT gets, so every HELLO field rule has one owner (core/inbound_message).
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/inbound_message.hpp"
#include "pg/datum.hpp"

using devicewake::pg::SqlError;

// _hello_fields(p_device_mac text, p_payload text, OUT payload text, OUT battery_voltage float8,
// OUT wifi_rssi int4, OUT firmware_version text, OUT hardware_version text, OUT pending_list
// text[], OUT ignored_fields text), IMMUTABLE STRICT. Raises 22023 for a body the parser refuses
// (too deep); every field problem is a value in ignored_fields, never an error.
DW_SQL_FUNCTION(devicewake_hello_fields) {
  namespace core = devicewake::core;
  std::string mac = devicewake::pg::TextArg(fcinfo, 0);
  std::string payload = devicewake::pg::TextArg(fcinfo, 1);
  core::InboundMessage parsed = core::ParseHelloBody(mac, payload);
  if (const core::Rejected* r = std::get_if<core::Rejected>(&parsed))
    throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "invalid HELLO body: " + r->reason);
  const core::Hello& h = std::get<core::Hello>(parsed);
  const std::string ignored = core::IgnoredFieldsJson(h.ignored);
  Datum values[7];
  bool nulls[7] = {
      false, !h.battery_voltage, !h.wifi_rssi, !h.firmware_version, !h.hardware_version, false,
      false};
  values[0] = devicewake::pg::TextDatum(h.body_json);
  values[1] = Float8GetDatum(h.battery_voltage.value_or(0));
  values[2] = Int32GetDatum(static_cast<int32>(h.wifi_rssi.value_or(0)));
  values[3] = devicewake::pg::TextDatum(h.firmware_version.value_or(""));
  values[4] = devicewake::pg::TextDatum(h.hardware_version.value_or(""));
  values[5] = devicewake::pg::VarlenaArrayDatum(h.pending_list, TEXTOID);
  values[6] = devicewake::pg::TextDatum(ignored);
  return devicewake::pg::PgCall([&]() {
    TupleDesc tupdesc;
    if (get_call_result_type(fcinfo, nullptr, &tupdesc) != TYPEFUNC_COMPOSITE)
      elog(ERROR, "_hello_fields must return a composite type");
    tupdesc = BlessTupleDesc(tupdesc);
    return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
  });
}

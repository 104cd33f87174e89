// SQL entry point that checks an application's command before it is queued:
// devicewake._check_command_payload(text, text). The rule is the publisher's own
// (core::BuildCommandBody), so a command accepted here is one the worker can publish.
#include "core/outbound_message.hpp"
#include "pg/datum.hpp"

using devicewake::pg::SqlError;

// _check_command_payload(p_command_type text, p_command_payload text) RETURNS void, STRICT:
// raises 22023 with the builder's reason when the payload cannot be published as that type
// (firmware_url missing or not http(s), update_config without a setting, ...). The command type
// itself is checked by the SQL caller first.
DW_SQL_FUNCTION(devicewake_check_command_payload) {
  std::string type = devicewake::pg::TextArg(fcinfo, 0);
  std::string payload = devicewake::pg::TextArg(fcinfo, 1);
  // a fixed, valid device id: the body's device_id is not what is checked here
  devicewake::core::OutboundBody body =
      devicewake::core::BuildCommandBody(type, payload, "000000000000", 0);
  if (!body.ok) {
    throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                   "invalid command_payload for " + type + ": " + body.error, {},
                   "The worker could not publish this command; fix its command_payload.");
  }
  PG_RETURN_VOID();
}

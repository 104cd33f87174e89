// The device-identifier rule as SQL sees it (normalize_mac and the devices table's trigger share
// it): one error for a bad identifier, wherever it is met.
#pragma once

#include <string>
#include <string_view>

namespace devicewake::pg {

// The normalised identifier of input (core::NormalizeDeviceId), or SqlError 22023 "invalid device
// identifier" with the reason and a hint. Never calls PostgreSQL.
std::string NormalizeMacOrThrow(std::string_view input);

}  // namespace devicewake::pg

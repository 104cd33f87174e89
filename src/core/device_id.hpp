// Device identifiers: normalisation of ESP32 MAC addresses and of the TEST-/VIRTUAL:/SYSTEM:
// identifiers kept as given. Every MQTT topic is built from a value this file accepted.
#pragma once
#include "core/cpp_only.hpp"

#include <string>
#include <string_view>

namespace devicewake::core {

inline constexpr std::size_t kMaxDeviceIdLength = 64;

struct DeviceIdResult {
  bool ok = false;
  std::string value;  // the normalised identifier when ok
  std::string error;  // a full sentence saying what is wrong when !ok
};

// Normalises a device identifier. A MAC (any case, separated by ':' '-' '.' or not) becomes 12
// upper-case hex digits; identifiers starting with TEST-, VIRTUAL: or SYSTEM: are kept as given
// but may only use letters, digits and . _ - :, so that no identifier can carry an MQTT topic
// separator or wildcard ('/', '+', '#'). Never throws.
DeviceIdResult NormalizeDeviceId(std::string_view input);

// A short, printable rendering of untrusted input for an error message: printable ASCII kept,
// every other byte shown as '?', cut to max_length characters with "..." appended. Never throws
// except std::bad_alloc.
std::string PrintableExcerpt(std::string_view input, std::size_t max_length = 80);

}  // namespace devicewake::core

// Device identifier normalisation (see device_id.hpp).
#include "core/device_id.hpp"

#include <array>

namespace devicewake::core {
namespace {

constexpr std::array<std::string_view, 3> kKeptPrefixes = {"TEST-", "VIRTUAL:", "SYSTEM:"};

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsIdentifierChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
         c == '_' || c == '-' || c == ':';
}

DeviceIdResult Fail(std::string message) { return DeviceIdResult{false, {}, std::move(message)}; }

}  // namespace

DeviceIdResult NormalizeDeviceId(std::string_view input) {
  if (input.empty()) return Fail("A device identifier must not be empty.");
  if (input.size() > kMaxDeviceIdLength) {
    return Fail("A device identifier is at most " + std::to_string(kMaxDeviceIdLength) +
                " characters long.");
  }
  for (std::string_view prefix : kKeptPrefixes) {
    if (input.substr(0, prefix.size()) != prefix) continue;
    if (input.size() == prefix.size()) return Fail("A prefixed identifier needs a name after it.");
    for (char c : input) {
      if (!IsIdentifierChar(c)) {
        return Fail("Prefixed identifiers may only contain letters, digits and . _ - :");
      }
    }
    return DeviceIdResult{true, std::string(input), {}};
  }
  std::string mac;
  mac.reserve(12);
  for (char c : input) {
    if (c == ':' || c == '-' || c == '.') continue;
    if (!IsHex(c)) {
      return Fail(
          "A MAC address has 12 hexadecimal digits, optionally separated by ':', '-' or '.'.");
    }
    mac.push_back(c >= 'a' && c <= 'f' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  if (mac.size() != 12) {
    return Fail("A MAC address has 12 hexadecimal digits, found " + std::to_string(mac.size()) +
                ".");
  }
  return DeviceIdResult{true, std::move(mac), {}};
}

std::string PrintableExcerpt(std::string_view input, std::size_t max_length) {
  std::string out;
  for (char c : input.substr(0, max_length)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (input.size() > max_length) out += "...";
  return out;
}

}  // namespace devicewake::core

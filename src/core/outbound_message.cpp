// Server -> device payload builders (see outbound_message.hpp).
#include "core/outbound_message.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace devicewake::core {
namespace {

using nlohmann::json;

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void CivilFromDays(std::int64_t z, std::int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<std::int64_t>(yoe) + era * 400 + (*m <= 2);
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

OutboundBody Ok(const json& body) { return OutboundBody{true, body.dump(), {}}; }
OutboundBody Fail(std::string reason) { return OutboundBody{false, {}, std::move(reason)}; }

const json* StringField(const json& payload, const char* key) {
  auto it = payload.find(key);
  if (it == payload.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) return nullptr;
  return &*it;
}

OutboundBody BuildFromObject(std::string_view type, const json& payload, const std::string& mac,
                             std::int64_t now) {
  json body = {{"device_id", mac}};
  if (type == "set_wake_schedule") {
    std::int64_t wake = 0;
    auto epoch = payload.find("next_wake_epoch");
    if (epoch != payload.end() && epoch->is_number_integer()) {
      wake = epoch->get<std::int64_t>();
    } else if (const json* text = StringField(payload, "next_wake_time")) {
      if (!ParseTimestampSeconds(text->get_ref<const std::string&>(), &wake)) {
        return Fail("set_wake_schedule: next_wake_time is not an ISO-8601 timestamp");
      }
    } else {
      return Fail("set_wake_schedule needs next_wake_time (ISO-8601) in its payload");
    }
    body["next_wake"] = FormatWakeTime(wake);
  } else if (type == "capture_image") {
    body["capture_image"] = true;
  } else if (type == "send_image" || type == "retry_image") {
    const json* name = StringField(payload, "image_name");
    if (name == nullptr) return Fail(std::string(type) + " needs image_name in its payload");
    body["send_image"] = *name;
  } else if (type == "resend_chunks") {
    const json* name = StringField(payload, "image_name");
    auto missing = payload.find("missing_chunks");
    if (name == nullptr || missing == payload.end() || !missing->is_array() || missing->empty()) {
      return Fail("resend_chunks needs image_name and a non-empty missing_chunks array");
    }
    for (const json& index : *missing) {
      if (!index.is_number_integer() || index.get<std::int64_t>() < 0) {
        return Fail("resend_chunks: missing_chunks must hold chunk indexes (integers >= 0)");
      }
    }
    body["image_name"] = *name;
    body["missing_chunks"] = *missing;
  } else if (type == "reboot") {
    body["reboot"] = true;
  } else if (type == "update_firmware") {
    const json* url = StringField(payload, "firmware_url");
    if (url == nullptr) return Fail("update_firmware needs firmware_url in its payload");
    body["firmware_url"] = *url;
  } else if (type == "update_config") {
    if (payload.empty()) return Fail("update_config needs at least one setting in its payload");
    for (auto it = payload.begin(); it != payload.end(); ++it) {
      if (it.key() != "device_id") body[it.key()] = it.value();
    }
  } else if (type == "ping") {
    body["ping"] = true;
    body["timestamp"] = FormatIso8601Utc(now);
  } else {
    return Fail("unknown command type \"" + std::string(type) + "\"");
  }
  return Ok(body);
}

}  // namespace

OutboundBody BuildCommandBody(std::string_view command_type, std::string_view payload_json,
                              std::string_view device_id, std::int64_t now_epoch_seconds) {
  try {
    json payload = payload_json.empty() ? json::object() : json::parse(payload_json);
    if (!payload.is_object()) return Fail("command_payload must be a JSON object");
    return BuildFromObject(command_type, payload, std::string(device_id), now_epoch_seconds);
  } catch (const std::exception& e) {
    return Fail(std::string("command_payload is not valid JSON: ") + e.what());
  }
}

std::string BuildAckOk(std::string_view device_id, std::string_view image_name,
                       std::int64_t next_wake_epoch_seconds) {
  json body = {{"device_id", std::string(device_id)},
               {"image_name", std::string(image_name)},
               {"ACK_OK", {{"next_wake_time", FormatWakeTime(next_wake_epoch_seconds)}}}};
  return body.dump();
}

std::string FormatWakeTime(std::int64_t epoch_seconds_utc) {
  std::int64_t minute_of_day = FloorDiv(epoch_seconds_utc, 60) - FloorDiv(epoch_seconds_utc, 86400) * 1440;
  int hour = static_cast<int>(minute_of_day / 60);
  int minute = static_cast<int>(minute_of_day % 60);
  int hour12 = hour % 12 == 0 ? 12 : hour % 12;
  char text[16];
  std::snprintf(text, sizeof text, "%d:%02d%s", hour12, minute, hour < 12 ? "AM" : "PM");
  return text;
}

std::string FormatIso8601Utc(std::int64_t epoch_seconds) {
  std::int64_t days = FloorDiv(epoch_seconds, 86400);
  std::int64_t second_of_day = epoch_seconds - days * 86400;
  std::int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char text[40];
  std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m, d,
                static_cast<int>(second_of_day / 3600), static_cast<int>(second_of_day / 60 % 60),
                static_cast<int>(second_of_day % 60));
  return text;
}

bool ParseTimestampSeconds(std::string_view s, std::int64_t* epoch_seconds) {
  std::size_t pos = 0;
  auto digits = [&](int count, int* out) {
    if (pos + count > s.size()) return false;
    int v = 0;
    for (int i = 0; i < count; ++i) {
      char c = s[pos + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos += count;
    *out = v;
    return true;
  };
  auto expect = [&](char c) { return pos < s.size() && s[pos] == c ? (++pos, true) : false; };
  int year, month, day, hour, minute, second = 0;
  if (!digits(4, &year) || !expect('-') || !digits(2, &month) || !expect('-') || !digits(2, &day)) return false;
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != ' ')) return false;
  ++pos;
  if (!digits(2, &hour) || !expect(':') || !digits(2, &minute)) return false;
  if (expect(':')) {
    if (!digits(2, &second)) return false;
    if (expect('.')) {
      std::size_t start = pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      if (pos == start) return false;
    }
  }
  int offset_seconds = 0;
  if (expect('Z') || expect('z')) {
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh, om = 0;
    if (!digits(2, &oh)) return false;
    if (expect(':')) {
      if (!digits(2, &om)) return false;
    } else if (pos < s.size()) {
      if (!digits(2, &om)) return false;
    }
    offset_seconds = sign * (oh * 3600 + om * 60);
  } else {
    return false;
  }
  if (pos != s.size() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  *epoch_seconds = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
                   hour * 3600 + minute * 60 + second - offset_seconds;
  return true;
}

}  // namespace devicewake::core

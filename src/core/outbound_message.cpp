// Server → device body builders (see outbound_message.hpp). nlohmann::ordered_json keeps
// "device_id" first; every exception is caught and becomes an error value.
#include "core/outbound_message.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/device_id.hpp"
#include "core/image_name.hpp"
#include "core/payload_text.hpp"
#include "core/wire_time.hpp"

namespace devicewake::core {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

struct BuildError {
  std::string reason;
};

[[noreturn]] void Fail(std::string reason) { throw BuildError{std::move(reason)}; }

std::string Dump(const ordered_json& body) {
  return body.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string CheckedDeviceId(std::string_view device_id) {
  DeviceIdResult id = NormalizeDeviceId(device_id);
  if (!id.ok) Fail("invalid device id \"" + PrintableExcerpt(device_id) + "\": " + id.error);
  if (id.value != device_id)
    Fail("device id \"" + PrintableExcerpt(device_id) + "\" is not normalised");
  return id.value;
}

ordered_json ParsePayload(std::string_view text) {
  std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return ordered_json::object();
  // Bounded nesting: dumping a value is recursive.
  if (!CheckJsonDepth(text, kMaxCommandPayloadDepth).empty()) {
    Fail("command_payload nests deeper than " + std::to_string(kMaxCommandPayloadDepth) +
         " levels");
  }
  ordered_json payload = ordered_json::parse(text, nullptr, false);
  if (payload.is_discarded()) Fail("command_payload is not valid JSON");
  if (payload.is_null()) return ordered_json::object();
  if (!payload.is_object())
    Fail(std::string("command_payload must be a JSON object, got ") + payload.type_name());
  return payload;
}

std::string ImageNameFrom(const ordered_json& payload, std::string_view command_type) {
  auto it = payload.find("image_name");
  if (it == payload.end() || it->is_null())
    Fail(std::string(command_type) + " needs image_name in command_payload");
  if (!it->is_string()) Fail(std::string("image_name must be a string, got ") + it->type_name());
  std::string name = it->get<std::string>();
  std::string error = ValidateImageName(name);
  if (!error.empty()) Fail(error);
  return name;
}

// The wake time of set_wake_schedule and sleep, as the firmware's H:MMAM text.
std::string WakeTimeFrom(const ordered_json& payload, std::string_view command_type) {
  auto time = payload.find("next_wake_time");
  if (time != payload.end() && !time->is_null()) {
    if (!time->is_string())
      Fail(std::string("next_wake_time must be a timestamp string, got ") + time->type_name());
    std::optional<std::int64_t> micros = ParseIso8601Micros(time->get<std::string>());
    if (!micros)
      Fail("next_wake_time \"" + PrintableExcerpt(time->get<std::string>()) +
           "\" is not an ISO-8601 timestamp");
    std::int64_t seconds = *micros / 1000000 - (*micros % 1000000 < 0 ? 1 : 0);
    return FormatWakeTime(seconds);
  }
  auto epoch = payload.find("next_wake_epoch");
  if (epoch != payload.end() && !epoch->is_null()) {
    if (!epoch->is_number())
      Fail(std::string("next_wake_epoch must be a number, got ") + epoch->type_name());
    double seconds = epoch->get<double>();
    if (!std::isfinite(seconds) || seconds < static_cast<double>(kMinEpochSeconds) ||
        seconds > static_cast<double>(kMaxEpochSeconds)) {
      Fail("next_wake_epoch is out of range");
    }
    return FormatWakeTime(static_cast<std::int64_t>(std::floor(seconds)));
  }
  auto ready = payload.find("next_wake");
  if (ready != payload.end() && ready->is_string() && IsWakeTimeText(ready->get<std::string>())) {
    return ready->get<std::string>();
  }
  Fail(std::string(command_type) + " needs next_wake_time or next_wake_epoch in command_payload");
}

std::vector<std::int64_t> MissingChunksFrom(const ordered_json& payload) {
  auto it = payload.find("missing_chunks");
  if (it == payload.end() || it->is_null())
    Fail("resend_chunks needs missing_chunks in command_payload");
  if (!it->is_array()) Fail(std::string("missing_chunks must be an array, got ") + it->type_name());
  if (it->empty()) Fail("missing_chunks must not be empty");
  if (it->size() > kMaxMissingChunksInCommand) {
    Fail("missing_chunks has more than " + std::to_string(kMaxMissingChunksInCommand) + " entries");
  }
  std::vector<std::int64_t> chunks;
  for (const ordered_json& v : *it) {
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > 65535) {
      Fail("missing_chunks entries must be integers between 0 and 65535, got " + Dump(v));
    }
    chunks.push_back(v.get<std::int64_t>());
  }
  std::sort(chunks.begin(), chunks.end());
  chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());
  return chunks;
}

std::string FirmwareUrlFrom(const ordered_json& payload) {
  auto it = payload.find("firmware_url");
  if (it == payload.end() || it->is_null())
    Fail("update_firmware needs firmware_url in command_payload");
  if (!it->is_string()) Fail(std::string("firmware_url must be a string, got ") + it->type_name());
  std::string url = it->get<std::string>();
  if (url.size() > kMaxFirmwareUrlLength)
    Fail("firmware_url is longer than " + std::to_string(kMaxFirmwareUrlLength) + " bytes");
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    Fail("firmware_url must start with http:// or https://");
  }
  for (char c : url) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) Fail("firmware_url must not contain spaces or control characters");
  }
  return url;
}

// The sleep signal: {"device_id","image_name","ACK_OK":{"next_wake_time"}}, without image_name
// when empty (a wake that ends without an image). device_id and image_name are checked already.
std::string SleepBody(std::string device_id, std::string image_name, std::string wake_time) {
  ordered_json body = ordered_json::object();
  body["device_id"] = std::move(device_id);
  if (!image_name.empty()) body["image_name"] = std::move(image_name);
  body["ACK_OK"] = ordered_json{{"next_wake_time", std::move(wake_time)}};
  return Dump(body);
}

std::string Build(std::string_view command_type, std::string_view payload_text,
                  std::string_view device_id, std::int64_t now_epoch_seconds) {
  ordered_json body = ordered_json::object();
  body["device_id"] = CheckedDeviceId(device_id);
  ordered_json payload = ParsePayload(payload_text);
  if (command_type == "set_wake_schedule") {
    body["next_wake"] = WakeTimeFrom(payload, command_type);
  } else if (command_type == "sleep") {
    std::string image_name;
    auto name = payload.find("image_name");
    if (name != payload.end() && !name->is_null())
      image_name = ImageNameFrom(payload, command_type);
    return SleepBody(body["device_id"].get<std::string>(), std::move(image_name),
                     WakeTimeFrom(payload, command_type));
  } else if (command_type == "ack_ok") {
    body["image_name"] = ImageNameFrom(payload, command_type);
    body["ACK_OK"] = true;
  } else if (command_type == "send_all_pending") {
    body["send_all_pending"] = true;
  } else if (command_type == "capture_image") {
    body["capture_image"] = true;
  } else if (command_type == "send_image" || command_type == "retry_image") {
    body["send_image"] = ImageNameFrom(payload, command_type);
  } else if (command_type == "resend_chunks") {
    body["image_name"] = ImageNameFrom(payload, command_type);
    body["missing_chunks"] = MissingChunksFrom(payload);
  } else if (command_type == "reboot") {
    body["reboot"] = true;
  } else if (command_type == "update_firmware") {
    body["firmware_url"] = FirmwareUrlFrom(payload);
  } else if (command_type == "update_config") {
    for (auto& [key, value] : payload.items()) {
      if (key != "device_id") body[key] = value;
    }
    if (body.size() == 1) Fail("update_config needs at least one setting in command_payload");
  } else if (command_type == "ping") {
    body["ping"] = true;
    body["timestamp"] = FormatIso8601Utc(now_epoch_seconds);
  } else {
    Fail("unknown command_type \"" + PrintableExcerpt(command_type) + "\"");
  }
  return Dump(body);
}

template <typename F>
OutboundBody Guarded(F&& build) {
  try {
    return OutboundBody{true, build(), {}};
  } catch (const BuildError& e) {
    return OutboundBody{false, {}, e.reason};
  } catch (const std::bad_alloc&) {
    return OutboundBody{false, {}, "out of memory while building a command body"};
  } catch (const std::exception& e) {
    return OutboundBody{false, {}, std::string("could not build the command body: ") + e.what()};
  } catch (...) {
    return OutboundBody{false, {}, "could not build the command body"};
  }
}

}  // namespace

OutboundBody BuildCommandBody(std::string_view command_type, std::string_view command_payload_json,
                              std::string_view device_id, std::int64_t now_epoch_seconds) {
  return Guarded(
      [&] { return Build(command_type, command_payload_json, device_id, now_epoch_seconds); });
}

CommandChannel ChannelFor(std::string_view command_type) noexcept {
  if (command_type == "resend_chunks" || command_type == "ack_ok" || command_type == "sleep") {
    return CommandChannel::kAck;
  }
  return CommandChannel::kCmd;
}

OutboundTopic TopicFor(std::string_view prefix, std::string_view device_id,
                       CommandChannel channel) {
  return channel == CommandChannel::kAck ? AckTopic(prefix, device_id)
                                         : CommandTopic(prefix, device_id);
}

}  // namespace devicewake::core
